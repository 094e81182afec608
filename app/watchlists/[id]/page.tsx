import Link from 'next/link';
import { getDb } from '@/lib/db/client';
import { isImportFailure } from '@/lib/errors';
import { deliveries, getWatchlist, latestMatches, said, type FeedMatch } from '@/lib/watch';
import { DataTable } from '../../_components/data-table';
import { DatabaseUnavailable } from '../../_components/database-unavailable';
import { readPageData } from '../../_lib/read';
import { requireUser } from '../../_lib/session';
import { searchWords } from '../_components/search-words';
import { WatchlistActions } from '../_components/watchlist-actions';

export const dynamic = 'force-dynamic';

const time = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '');

/** One watchlist: what it follows, the matches of each import, its deliveries; add or remove numbers, send a test, delete it. */
export default async function WatchlistPage({ params }: { params: Promise<{ id: string }> }) {
  const { id: raw } = await params;
  const who = await requireUser(`/watchlists/${encodeURIComponent(raw)}`);
  const watcher = { owner: who.user, admin: who.role === 'admin' };
  const read = await readPageData(async () => {
    const id = /^\d{1,9}$/.test(raw) ? Number(raw) : 0;
    try {
      const sql = await getDb();
      const w = await getWatchlist(sql, watcher, id);
      return { w, matches: await latestMatches(sql, watcher, id), sent: await deliveries(sql, watcher, id) };
    } catch (err) {
      if (isImportFailure(err) && err.code === 'NOT_FOUND') return { problem: err.message };
      throw err;
    }
  });
  if (!read.ok) return <DatabaseUnavailable message={read.message} />;
  if ('problem' in read.data) {
    return (
      <p role="alert" data-testid="watchlist-problem" className="rounded-md border border-amber-300 bg-amber-50 p-4 text-amber-900">
        {read.data.problem} <Link href="/watchlists" className="underline">All watchlists</Link>
      </p>
    );
  }
  const { w, matches, sent } = read.data;
  const byJob = new Map<number, (FeedMatch & { total: number })[]>();
  for (const m of matches) byJob.set(m.jobId, [...(byJob.get(m.jobId) ?? []), m]);
  return (
    <div className="space-y-6">
      <div>
        <p className="text-sm text-slate-600">
          <Link href="/watchlists" className="underline underline-offset-2">
            Watchlists
          </Link>{' '}
          · #{w.id}
          {watcher.admin && w.owner !== who.user ? ` · kept by ${w.owner}` : ''}
        </p>
        <h1 className="text-2xl font-semibold" data-testid="watchlist-title">
          {w.name}
        </h1>
        <p className="text-slate-700" data-testid="watchlist-follows">
          Follows {[w.members > 0 && `${w.members.toLocaleString('en')} number${w.members === 1 ? '' : 's'}`, w.search && `the entities of the search ${searchWords(w.search)}`].filter(Boolean).join(' and ')}
          ; digests {[w.webhookUrl && `to ${w.webhookUrl}`, w.email && `to ${w.email}`].filter(Boolean).join(' and ') || 'on this page and the feed only'}.
        </p>
      </div>

      <section className="space-y-2" aria-label="Changes">
        <h2 className="text-lg font-semibold">What changed</h2>
        {byJob.size === 0 && (
          <p className="text-slate-600" data-testid="watchlist-no-matches">
            No import has changed what it follows yet. Each import is matched once its change list is worked out.
          </p>
        )}
        {[...byJob].map(([jobId, ms]) => (
          <div key={jobId} className="rounded-lg border border-slate-200 bg-white p-3 shadow-sm" data-testid="watchlist-import">
            <h3 className="font-medium">
              Extract {ms[0]?.extractNumber} ·{' '}
              {watcher.admin ? (
                <Link href={`/imports/${jobId}`} className="text-sky-700 underline underline-offset-2">
                  import #{jobId}
                </Link>
              ) : (
                `import #${jobId}`
              )}{' '}
              · {ms[0]?.total.toLocaleString('en')} {ms[0]?.total === 1 ? 'entity' : 'entities'}
              {(ms[0]?.total ?? 0) > ms.length ? ` (the first ${ms.length} here; the feed has them all)` : ''}
              {ms.some((m) => m.withdrawnAt) && <span className="ml-2 text-amber-800"> rolled back: these changes no longer stand</span>}
            </h3>
            <ul className="mt-2 space-y-2 text-sm">
              {ms.map((m) => (
                <li key={m.number} data-testid="watch-match" data-number={m.number} className={m.withdrawnAt ? 'text-slate-500 line-through' : ''}>
                  <Link href={`/register/${m.number}`} className="font-mono text-sky-700 underline underline-offset-2">
                    {m.number}
                  </Link>{' '}
                  <span className="rounded bg-slate-100 px-1.5 text-xs">{m.kind}</span>
                  <ul className="ml-4 list-disc pl-4 text-slate-700">
                    {m.changes.slice(0, 20).map((c, i) => (
                      <li key={i} data-testid="watch-change">
                        {said(c)}
                      </li>
                    ))}
                    {m.changes.length > 20 && <li>and {m.changes.length - 20} more</li>}
                  </ul>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </section>

      <WatchlistActions id={w.id} numbers={w.numbers} members={w.members} channels={{ webhookUrl: w.webhookUrl, email: w.email }} />

      <section className="space-y-2" aria-label="Deliveries">
        <h2 className="text-lg font-semibold">Deliveries</h2>
        {sent.length === 0 ? (
          <p className="text-slate-600">Nothing sent yet.</p>
        ) : (
          <DataTable head={['what', 'to', 'state', 'attempts', 'made', 'last error']} testId="watchlist-deliveries">
            {sent.map((d) => (
              <tr key={d.id} className="border-t border-slate-100" data-testid="delivery-row" data-event={d.event}>
                <td className="px-3 py-2">
                  {d.event === 'watch.test' ? 'test' : d.event === 'watch.withdrawn' ? 'withdrawal' : 'digest'}
                  {d.jobId !== null ? ` of import #${d.jobId}` : ''}
                </td>
                <td className="px-3 py-2">
                  {d.channel} {d.recipient}
                </td>
                <td className="px-3 py-2" data-testid="delivery-status">
                  {d.status}
                  {d.deliveredAt ? ` ${time(d.deliveredAt)}` : d.nextAttemptAt ? `, next try ${time(d.nextAttemptAt)}` : ''}
                </td>
                <td className="px-3 py-2">{d.attempts}</td>
                <td className="px-3 py-2 whitespace-nowrap">{time(d.createdAt)}</td>
                <td className="px-3 py-2 text-red-700">{d.lastError}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
    </div>
  );
}
