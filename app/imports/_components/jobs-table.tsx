'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import Link from 'next/link';
import { StatusBadge } from '@/app/_components/status-badge';
import { formatCount, formatDuration, isActive, isVoid, JOB, JOB_STATUSES, type JobStatus, type JobSummary, statusLabel } from '@/lib/imports/shared';
import { api } from '../../_lib/api';
import { HISTORY_PAGE } from '../_lib/history';

/** JSON turns the job's Date fields into strings. */
type Row = Omit<JobSummary, 'createdAt' | 'preparedAt' | 'finishedAt'> & { createdAt: string | Date };

const fmt = formatCount;


interface Filter {
  status: JobStatus | '';
  type: 'full' | 'update' | '';
  offset: number;
}

function queryOf(f: Filter): string {
  const q = new URLSearchParams({ limit: String(HISTORY_PAGE), offset: String(f.offset) });
  if (f.status) q.set('status', f.status);
  if (f.type) q.set('type', f.type);
  return q.toString();
}

/** The status badge's note: failed batches of a running import, rejected rows of a completed one. */
function noteOf(j: Row): string | undefined {
  if (j.batchesFailed > 0 && j.status === JOB.running) return `${j.batchesFailed} failed`;
  if (j.status === JOB.completed && j.rejected > 0) return `with ${fmt(j.rejected)} rejected`;
  return undefined;
}

/** Counts of an import that was undone later, or of a preview, are shown struck through: the register does not hold them. */
function Count({ j, n }: { j: Row; n: number }) {
  return isVoid(j.status) || j.preview ? (
    <s className="text-slate-400" title={j.preview ? 'a preview: what applying it would do; nothing was applied' : 'undone: cancelled or rolled back'}>
      {fmt(n)}
    </s>
  ) : (
    <>{fmt(n)}</>
  );
}

const started = (j: Row) => new Date(j.createdAt).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' });

/** The import history, newest first, filtered and paged; refreshed while an import is active. */
export function JobsTable({ initial }: { initial: { imports: Row[]; total: number } }) {
  const [filter, setFilter] = useState<Filter>({ status: '', type: '', offset: 0 });
  const first = !filter.status && !filter.type && filter.offset === 0;
  const { data } = useQuery({
    queryKey: ['imports', queryOf(filter)],
    queryFn: () => api<{ imports: Row[]; total: number }>(`/api/imports?${queryOf(filter)}`),
    initialData: first ? initial : undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => ((q.state.data?.imports ?? []).some((j) => isActive(j.status)) ? 2_000 : false),
  });
  const rows = data?.imports ?? [];
  const total = data?.total ?? 0;

  if (first && total === 0) {
    return (
      <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500" data-testid="imports-empty">
        No imports yet. Start with a FULL extract (or the sample FULL), then the daily updates in order.
      </p>
    );
  }
  const set = (patch: Partial<Filter>) => setFilter((f) => ({ ...f, offset: 0, ...patch }));
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <label className="flex items-center gap-1">
          Status
          <select className="rounded border border-slate-300 px-2 py-1" value={filter.status} onChange={(e) => set({ status: e.target.value as Filter['status'] })} data-testid="filter-status">
            <option value="">all</option>
            {JOB_STATUSES.map((st) => (
              <option key={st} value={st}>
                {statusLabel(st)}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-1">
          Type
          <select className="rounded border border-slate-300 px-2 py-1" value={filter.type} onChange={(e) => set({ type: e.target.value as Filter['type'] })} data-testid="filter-type">
            <option value="">all</option>
            <option value="full">FULL</option>
            <option value="update">UPDATE</option>
          </select>
        </label>
        <span className="text-slate-600" data-testid="history-range">
          {total === 0 ? 'no imports match' : `${filter.offset + 1}–${filter.offset + rows.length} of ${total}`}
        </span>
        <span className="flex gap-2">
          <button type="button" className="rounded border border-slate-300 px-2 py-1 disabled:opacity-40" disabled={filter.offset === 0} onClick={() => setFilter((f) => ({ ...f, offset: Math.max(0, f.offset - HISTORY_PAGE) }))} data-testid="history-newer">
            Newer
          </button>
          <button type="button" className="rounded border border-slate-300 px-2 py-1 disabled:opacity-40" disabled={filter.offset + HISTORY_PAGE >= total} onClick={() => setFilter((f) => ({ ...f, offset: f.offset + HISTORY_PAGE }))} data-testid="history-older">
            Older
          </button>
        </span>
      </div>

      {/* A phone gets a card per import; a wider screen the table. */}
      <ul className="space-y-2 sm:hidden" data-testid="imports-cards">
        {rows.map((j) => (
          <li key={j.id} className="rounded-lg border border-slate-200 bg-white p-3 text-sm shadow-sm">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <Link className="font-medium text-sky-700 underline underline-offset-2" href={`/imports/${j.id}`}>
                #{j.id} · {j.extractType ?? '–'} {j.extractNumber ?? ''}
                {j.mode === 'resync' ? ' · resync' : ''}
                {j.preview ? ' · preview' : ''}
              </Link>
              <StatusBadge status={j.status} testId="import-card-status" note={noteOf(j)} />
            </div>
            <p className="mt-1 break-all text-slate-700">{j.fileName}</p>
            <p className="mt-1 text-xs text-slate-500 tabular-nums">
              inserted <Count j={j} n={j.inserted} /> · ended <Count j={j} n={j.ended} /> · unchanged <Count j={j} n={j.unchanged} /> · rejected {fmt(j.rejected)} ·{' '}
              {formatDuration(j.durationSeconds)} · {started(j)}
            </p>
          </li>
        ))}
      </ul>

      <div className="hidden overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm sm:block">
        <table className="w-full text-left text-sm" data-testid="imports-table">
          <caption className="sr-only">Imports, newest first</caption>
          <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th scope="col" className="px-3 py-2">#</th>
              <th scope="col" className="px-3 py-2">Extract · snapshot</th>
              <th scope="col" className="px-3 py-2">File</th>
              <th scope="col" className="px-3 py-2">Status</th>
              <th scope="col" className="px-3 py-2 text-right">Inserted</th>
              <th scope="col" className="px-3 py-2 text-right">Ended</th>
              <th scope="col" className="px-3 py-2 text-right">Unchanged</th>
              <th scope="col" className="px-3 py-2 text-right">Rejected</th>
              <th scope="col" className="px-3 py-2 text-right">Duration</th>
              <th scope="col" className="px-3 py-2">Started</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 tabular-nums">
            {rows.map((j) => (
              <tr key={j.id} data-testid={`import-row-${j.id}`} className="hover:bg-slate-50">
                <td className="px-3 py-2">
                  <Link className="font-medium text-sky-700 underline-offset-2 hover:underline" href={`/imports/${j.id}`}>
                    #{j.id}
                  </Link>
                </td>
                <td className="px-3 py-2 whitespace-nowrap">
                  {j.extractType ?? '–'} {j.extractNumber ?? ''}
                  {j.mode === 'resync' && <span className="text-slate-500"> · resync</span>}
                  {j.preview && <span className="text-violet-700" data-testid="import-preview"> · preview</span>}
                  <span className="block text-xs text-slate-500">{j.snapshotDate ?? '–'}</span>
                </td>
                <td className="max-w-64 break-all px-3 py-2" title={j.fileName} data-testid="import-file">
                  {j.fileName}
                </td>
                <td className="px-3 py-2 whitespace-nowrap">
                  <StatusBadge status={j.status} testId="import-status" note={noteOf(j)} />
                </td>
                <td className="px-3 py-2 text-right"><Count j={j} n={j.inserted} /></td>
                <td className="px-3 py-2 text-right"><Count j={j} n={j.ended} /></td>
                <td className="px-3 py-2 text-right"><Count j={j} n={j.unchanged} /></td>
                <td className="px-3 py-2 text-right">{fmt(j.rejected)}</td>
                <td className="px-3 py-2 text-right whitespace-nowrap">{formatDuration(j.durationSeconds)}</td>
                <td className="px-3 py-2 whitespace-nowrap text-slate-600">
                  <time dateTime={new Date(j.createdAt).toISOString()}>{started(j)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
