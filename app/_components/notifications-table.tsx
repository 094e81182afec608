import Link from 'next/link';
import type { NotificationView } from '@/lib/notify';
import { DataTable } from './data-table';

const CHANNEL: Record<string, string> = { webhook: 'webhook', email: 'email', healthcheck: 'monitor' };
const time = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** Where a notification stands, in words: delivered when, waiting for its next try, or given up and why. */
function outcome(n: NotificationView): string {
  if (n.status === 'delivered') return `delivered ${n.deliveredAt ? time(n.deliveredAt) : ''}${n.attempts > 1 ? ` (attempt ${n.attempts})` : ''}`;
  if (n.status === 'failed') return `not delivered after ${n.attempts} attempt${n.attempts === 1 ? '' : 's'}: ${n.lastError ?? ''}`;
  if (n.status === 'sending') return 'being sent…';
  return n.attempts === 0 ? 'waiting to be sent' : `attempt ${n.attempts} failed (${n.lastError ?? ''}); next try ${n.nextAttemptAt ? time(n.nextAttemptAt) : 'soon'}`;
}

/** Notifications, a row each: what, to whom, when, and whether it went out (the import's page and the sync's). */
export function NotificationsTable({ notifications, withImport = false }: { notifications: NotificationView[]; withImport?: boolean }) {
  return (
    <DataTable head={['event', ...(withImport ? ['import'] : []), 'to', 'recorded', 'outcome']} testId="notifications">
      {notifications.map((n) => (
        <tr key={n.id} className="border-t border-slate-100" data-testid="notification" data-event={n.event} data-channel={n.channel} data-status={n.status}>
          <td className="px-3 py-2 whitespace-nowrap" title={n.subject}>
            {n.event}
          </td>
          {withImport && (
            <td className="px-3 py-2">
              {n.jobId ? (
                <Link className="text-sky-700 underline underline-offset-2" href={`/imports/${n.jobId}`}>
                  #{n.jobId}
                </Link>
              ) : (
                '—'
              )}
            </td>
          )}
          <td className="px-3 py-2 break-all">
            {CHANNEL[n.channel] ?? n.channel}: {n.recipient}
          </td>
          <td className="px-3 py-2 whitespace-nowrap">{time(n.createdAt)}</td>
          <td className={`px-3 py-2 ${n.status === 'failed' ? 'text-red-800' : n.status === 'delivered' ? 'text-emerald-800' : 'text-amber-800'}`} data-testid="notification-outcome">
            {outcome(n)}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
