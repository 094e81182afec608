'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { StatusBadge } from '@/app/_components/status-badge';
import { formatCount, formatDuration } from '@/lib/imports/view/describe';
import { isActive, JOB } from '@/lib/imports/state/machine';
import type { JobSummary } from '@/lib/imports/view/types';
import { api } from '../_lib/api';

/** JSON turns the job's Date fields into strings. */
type Row = Omit<JobSummary, 'createdAt' | 'preparedAt' | 'finishedAt'> & { createdAt: string | Date };

const fmt = formatCount;

/** The import history, newest first; refreshed while an import is active. */
export function JobsTable({ initial }: { initial: Row[] }) {
  const { data } = useQuery({
    queryKey: ['imports'],
    queryFn: () => api<{ imports: Row[] }>('/api/imports').then((r) => r.imports),
    initialData: initial,
    refetchInterval: (q) => ((q.state.data ?? []).some((j) => isActive(j.status)) ? 2_000 : false),
  });

  if (data.length === 0) {
    return (
      <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500" data-testid="imports-empty">
        No imports yet. Start with a FULL extract (or the sample FULL), then the daily updates in order.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table className="w-full min-w-[48rem] text-left text-sm" data-testid="imports-table">
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
          {data.map((j) => (
            <tr key={j.id} data-testid={`import-row-${j.id}`} className="hover:bg-slate-50">
              <td className="px-3 py-2">
                <Link className="font-medium text-sky-700 underline-offset-2 hover:underline" href={`/imports/${j.id}`}>
                  #{j.id}
                </Link>
              </td>
              <td className="px-3 py-2 whitespace-nowrap">
                {j.extractType ?? '–'} {j.extractNumber ?? ''}
                {j.mode === 'resync' && <span className="text-slate-500"> · resync</span>}
                <span className="block text-xs text-slate-500">{j.snapshotDate ?? '–'}</span>
              </td>
              <td className="max-w-44 truncate px-3 py-2" title={j.fileName}>
                {j.fileName}
              </td>
              <td className="px-3 py-2 whitespace-nowrap">
                <StatusBadge
                  status={j.status}
                  testId="import-status"
                  note={
                    j.batchesFailed > 0 && j.status === JOB.running
                      ? `${j.batchesFailed} failed`
                      : j.status === JOB.completed && j.rejected > 0
                        ? `with ${fmt(j.rejected)} rejected`
                        : undefined
                  }
                />
              </td>
              <td className="px-3 py-2 text-right">{fmt(j.inserted)}</td>
              <td className="px-3 py-2 text-right">{fmt(j.ended)}</td>
              <td className="px-3 py-2 text-right">{fmt(j.unchanged)}</td>
              <td className="px-3 py-2 text-right">{fmt(j.rejected)}</td>
              <td className="px-3 py-2 text-right whitespace-nowrap">{formatDuration(j.durationSeconds)}</td>
              <td className="px-3 py-2 whitespace-nowrap text-slate-600">
                <time dateTime={new Date(j.createdAt).toISOString()}>{new Date(j.createdAt).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'short' })}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
