'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { formatCount, JOB } from '@/lib/imports/shared';
import type { ChangePage } from '@/lib/register';
import { DataTable } from '@/app/_components/data-table';
import { api, fetchStatus, statusKey } from '../../../_lib/api';

const CHANGE_KINDS = ['added', 'ended', 'modified'] as const;
const input = 'rounded-md border border-slate-300 px-2 py-1 text-sm';

/** What a completed import changed in the register (or a preview would): counts per table, then the entities, filtered and paged, and the CSV. */
export function Changes({ jobId }: { jobId: number }) {
  const status = useQuery({ queryKey: statusKey(jobId), queryFn: () => fetchStatus(jobId) });
  // A preview worked out lists what applying it would change, in the same shape.
  const previewed = status.data?.job.status === JOB.previewed;
  const completed = status.data?.job.status === JOB.completed || previewed;
  const [filter, setFilter] = useState({ table: '', change: '', number: '' });
  const [typed, setTyped] = useState('');
  const [page, setPage] = useState(1);
  const params = new URLSearchParams(Object.entries({ ...filter, page: String(page) }).filter(([, v]) => v !== ''));
  const changes = useQuery({
    queryKey: ['import-changes', jobId, params.toString()],
    queryFn: () => api<ChangePage>(`/api/imports/${jobId}/changes?${params}`),
    enabled: completed,
    placeholderData: keepPreviousData,
    // Worked out in parts after completion (this page's drivers take them): ask again until done.
    refetchInterval: (q) => (q.state.data?.computing ? 1_000 : false),
  });
  if (!completed) return null;
  const c = changes.data;
  const choose = (next: Partial<typeof filter>) => {
    setFilter({ ...filter, ...next });
    setPage(1);
  };
  const csv = new URLSearchParams(Object.entries({ ...filter, format: 'csv' }).filter(([, v]) => v !== ''));

  return (
    <section className="space-y-3" data-testid="import-changes" aria-label={previewed ? 'What applying it would change' : 'What this import changed'}>
      <h2 className="text-lg font-semibold">{previewed ? 'What applying it would change' : 'What this import changed'}</h2>
      {changes.error && (
        <p role="alert" className="text-sm text-red-700" data-testid="changes-error">
          {(changes.error as Error).message}
        </p>
      )}
      {!c && !changes.error && <p className="text-sm text-slate-500">Reading the changes…</p>}
      {c?.loaded && (
        <div className="space-y-2 text-sm" data-testid="changes-initial">
          <p>This FULL was loaded into an empty register: it added every row below, so its change list is the register itself. <Link className="text-sky-700 underline underline-offset-2" href="/register">Search the register</Link> to see them.</p>
          <ul className="grid grid-cols-2 gap-1 sm:grid-cols-4">
            {c.loaded.map((l) => (
              <li key={l.table} data-testid="changes-loaded-table" data-table={l.table} data-rows={l.rows}>
                {l.table}: {formatCount(l.rows)}
                {l.fileRows > l.rows && (
                  <span className="text-slate-500"> (the file held {formatCount(l.fileRows)}: {formatCount(l.fileRows - l.rows)} repeated, kept once)</span>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {c?.computing && (
        <p className="text-sm text-slate-600" data-testid="changes-computing">
          Working out what this import changed, once: {formatCount(c.computing.done)} of {formatCount(c.computing.total)} parts done…
        </p>
      )}
      {c && !c.loaded && !c.computing && (
        <>
          <p className="text-sm text-slate-600" data-testid="changes-explained">
            These count entities (an enterprise, an establishment…), where the import&apos;s progress above counts rows. An UPDATE ends and
            starts again every row of an entity it names; an entity whose rows all came back as they were is re-issued unchanged: its rows
            count above as ended and inserted, and it is not listed here (the last column counts them).
          </p>
          <DataTable head={['table', ...CHANGE_KINDS.map((k) => `entities ${k}`), 're-issued unchanged (not listed)']} testId="changes-summary">
            {c.summary.map((s) => (
              <tr key={s.table} className="border-t border-slate-100" data-testid="changes-summary-row" data-table={s.table}>
                <td className="px-3 py-2">{s.table}</td>
                {CHANGE_KINDS.map((k) => (
                  <td key={k} className="px-3 py-2">
                    {s[k] ? (
                      <button type="button" className="text-sky-700 underline underline-offset-2" onClick={() => choose({ table: s.table, change: k })}>
                        {formatCount(s[k])}
                      </button>
                    ) : (
                      '0'
                    )}
                  </td>
                ))}
                <td className="px-3 py-2 text-slate-500" data-testid="changes-reissued">
                  {formatCount(s.reissued)}
                </td>
              </tr>
            ))}
          </DataTable>
          <form
            className="flex flex-wrap items-center gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              choose({ number: typed.trim() });
            }}
          >
            <select aria-label="Table" data-testid="changes-table" className={input} value={filter.table} onChange={(e) => choose({ table: e.target.value })}>
              <option value="">every table</option>
              {c.summary.map((s) => (
                <option key={s.table} value={s.table}>
                  {s.table}
                </option>
              ))}
            </select>
            <select aria-label="Change" data-testid="changes-kind" className={input} value={filter.change} onChange={(e) => choose({ change: e.target.value })}>
              <option value="">any change</option>
              {CHANGE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
            <input aria-label="Entity number" data-testid="changes-number" className={`${input} w-48`} placeholder="entity number" value={typed} onChange={(e) => setTyped(e.target.value)} />
            <button type="submit" data-testid="changes-find" className="rounded-md border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-50">
              Find
            </button>
            <a className="text-sm text-sky-700 underline underline-offset-2" data-testid="changes-csv" href={`/api/imports/${jobId}/changes?${csv}`} download>
              Download the list (CSV)
            </a>
          </form>
          {c.changes.length === 0 ? (
            <p className="text-sm text-slate-500" data-testid="changes-none">
              No changes match.
            </p>
          ) : (
            <DataTable head={['table', 'entity', 'change', 'rows started', 'rows ended', 'see it']} testId="changes-list">
              {c.changes.map((e) => (
                <tr key={`${e.table} ${e.number}`} className="border-t border-slate-100" data-testid="change-row">
                  <td className="px-3 py-2">{e.table}</td>
                  <td className="px-3 py-2 whitespace-nowrap">{e.number}</td>
                  <td className="px-3 py-2">{e.change}</td>
                  <td className="px-3 py-2">{e.started}</td>
                  <td className="px-3 py-2">{e.ended}</td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    {e.table === 'branches' ? (
                      '—'
                    ) : c.before === null ? (
                      <Link className="text-sky-700 underline underline-offset-2" data-testid="change-after" href={`/register/${e.number}?asOf=${c.job.extractNumber}`}>
                        after
                      </Link>
                    ) : (
                      <>
                        <Link className="text-sky-700 underline underline-offset-2" data-testid="change-before" href={`/register/${e.number}?asOf=${c.before}`}>
                          before
                        </Link>
                        {' · '}
                        <Link className="text-sky-700 underline underline-offset-2" data-testid="change-after" href={`/register/${e.number}?asOf=${c.job.extractNumber}`}>
                          after
                        </Link>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
          <nav className="flex gap-3 text-sm" aria-label="Pages of changes">
            {page > 1 && (
              <button type="button" className="text-sky-700 underline underline-offset-2" onClick={() => setPage(page - 1)}>
                Previous page
              </button>
            )}
            {c.hasMore && (
              <button type="button" data-testid="changes-next" className="text-sky-700 underline underline-offset-2" onClick={() => setPage(page + 1)}>
                Next page
              </button>
            )}
          </nav>
        </>
      )}
    </section>
  );
}
