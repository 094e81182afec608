import Link from 'next/link';
import { getDb } from '@/lib/db/client';
import { formatCount, registerState } from '@/lib/imports';
import { DatabaseUnavailable } from './_components/database-unavailable';
import { StatusBadge } from './_components/status-badge';
import { readPageData } from './_lib/read';
import { requireAdmin } from './_lib/session';

export const dynamic = 'force-dynamic';

/** The register's state: the extract it is at, the import under way, and its current rows per table. */
export default async function Home() {
  await requireAdmin('/');
  const read = await readPageData(async () => registerState(await getDb()));
  if (!read.ok) return <DatabaseUnavailable message={read.message} />;
  const state = read.data;
  const { latest, active } = state;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">The KBO register</h1>
      <section className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="register-state" aria-label="Where the register stands">
        {latest ? (
          <p className="text-slate-800">
            At <strong>extract {latest.extractNumber}</strong> ({latest.extractType}
            {latest.snapshotDate ? `, snapshot of ${latest.snapshotDate}` : ''}), applied by{' '}
            <Link className="text-sky-700 underline underline-offset-2" href={`/imports/${latest.jobId}`}>
              import #{latest.jobId}
            </Link>
            {latest.finishedAt ? ` on ${new Date(latest.finishedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}.
          </p>
        ) : (
          <p className="text-slate-800">Empty: no extract has been imported yet. Start with a FULL extract.</p>
        )}
        {active ? (
          <p className="flex flex-wrap items-center gap-2 text-slate-700" data-testid="active-import">
            Under way:{' '}
            <Link className="text-sky-700 underline underline-offset-2" href={`/imports/${active.jobId}`}>
              import #{active.jobId} (extract {active.extractNumber})
            </Link>
            <StatusBadge status={active.status} />
          </p>
        ) : (
          <p className="text-slate-600" data-testid="active-import">
            No import under way.
          </p>
        )}
        <Link href="/imports" className="inline-block rounded bg-slate-900 px-4 py-2 text-white hover:bg-slate-700" data-testid="go-imports">
          Import an extract
        </Link>
      </section>
      <section className="space-y-2" aria-labelledby="rows-heading">
        <h2 id="rows-heading" className="text-lg font-semibold">
          Current rows {latest ? `at extract ${latest.extractNumber}` : ''}
        </h2>
        <table className="w-full max-w-md text-sm" data-testid="current-rows">
          <tbody>
            {state.tables.map((t) => (
              <tr key={t.table} className="border-b border-slate-100" data-testid={`rows-${t.table}`}>
                <td className="py-1 text-slate-700">{t.table}</td>
                <td className="py-1 text-right tabular-nums">{formatCount(t.rows)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="text-xs text-slate-500">Counted from what each completed import inserted and ended; an import under way counts once it completes.</p>
      </section>
    </div>
  );
}
