import Link from 'next/link';
import { getDb } from '@/lib/db/client';
import { listWatchlists } from '@/lib/watch';
import { DataTable } from '../_components/data-table';
import { DatabaseUnavailable } from '../_components/database-unavailable';
import { readPageData } from '../_lib/read';
import { requireUser } from '../_lib/session';
import { NewWatchlist } from './_components/new-watchlist';
import { searchWords } from './_components/search-words';

export const dynamic = 'force-dynamic';

/** The user's watchlists (an admin's: every one), and a form to make one. */
export default async function WatchlistsPage() {
  const who = await requireUser('/watchlists');
  const admin = who.role === 'admin';
  const read = await readPageData(async () => listWatchlists(await getDb(), { owner: who.user, admin }));
  if (!read.ok) return <DatabaseUnavailable message={read.message} />;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Watchlists</h1>
      <p className="text-slate-700">
        A watchlist follows companies: numbers you give, the entities a saved search finds, or both. After every import you see here (and, if you give a webhook or an
        address, receive) what changed for them: a status, a name, a seat, an establishment opened or closed.{admin ? ' As an admin you see every user’s.' : ''}
      </p>
      {read.data.length > 0 ? (
        <DataTable head={['name', 'follows', 'digests to', ...(admin ? ['owner'] : []), 'made']} testId="watchlists">
          {read.data.map((w) => (
            <tr key={w.id} className="border-t border-slate-100" data-testid="watchlist-row" data-name={w.name}>
              <td className="px-3 py-2">
                <Link href={`/watchlists/${w.id}`} className="font-medium text-sky-700 underline underline-offset-2">
                  {w.name}
                </Link>
              </td>
              <td className="px-3 py-2">{[w.members > 0 && `${w.members.toLocaleString('en')} number${w.members === 1 ? '' : 's'}`, w.search && `search ${searchWords(w.search)}`].filter(Boolean).join(' and ')}</td>
              <td className="px-3 py-2">{[w.webhookUrl && 'webhook', w.email].filter(Boolean).join(', ') || 'this page only'}</td>
              {admin && <td className="px-3 py-2">{w.owner}</td>}
              <td className="px-3 py-2 whitespace-nowrap">{w.createdAt.slice(0, 10)}</td>
            </tr>
          ))}
        </DataTable>
      ) : (
        <p className="text-slate-600" data-testid="watchlists-none">
          No watchlists yet. Make one below, or press Follow on a company’s page in the register.
        </p>
      )}
      <NewWatchlist />
    </div>
  );
}
