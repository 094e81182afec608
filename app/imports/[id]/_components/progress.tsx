'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { JobStatusView } from '@/lib/imports/status';

const CONCURRENCY = 2;

async function call(url: string, init?: RequestInit): Promise<JobStatusView> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json' } });
  const body = await res.json();
  if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  return (body.progress ?? body) as JobStatusView;
}

/** Polls status and, while the job runs, drives process-batch workers and then finalize. */
export function Progress({ jobId }: { jobId: number }) {
  const status = useQuery({
    queryKey: ['import', jobId],
    queryFn: () => call(`/api/imports/${jobId}`),
    refetchInterval: (q) => (q.state.data && q.state.data.job.status !== 'running' ? false : 1000),
  });
  const driving = useRef(false);
  const running = status.data?.job.status === 'running';

  useEffect(() => {
    if (!running || driving.current) return;
    driving.current = true;
    const worker = async () => {
      while (true) {
        const res = await fetch(`/api/imports/${jobId}/process-batch`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
        const body = await res.json();
        if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
        const p = body.progress as JobStatusView;
        if (body.processed.length > 0) continue;
        if (p.readyToFinalize || p.job.status !== 'running' || (p.batches.pending === 0 && p.batches.processing === 0)) return p;
        await new Promise((r) => setTimeout(r, 300));
      }
    };
    Promise.all(Array.from({ length: CONCURRENCY }, worker))
      .then(async (results) => {
        if (results.some((p) => p.readyToFinalize)) await call(`/api/imports/${jobId}/finalize`, { method: 'POST' });
      })
      .catch(() => {})
      .finally(() => {
        driving.current = false;
        void status.refetch();
      });
  }, [running, jobId, status]);

  if (status.error) return <p role="alert">{(status.error as Error).message}</p>;
  const s = status.data;
  if (!s) return <p>Loading…</p>;
  const pct = s.batches.total ? Math.round((100 * s.batches.completed) / s.batches.total) : 0;
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">
        Import #{s.job.id}: {s.job.extractType} {s.job.extractNumber}
      </h1>
      <p data-testid="job-status">{s.job.status}</p>
      {s.job.error && <p role="alert" className="text-red-700">{s.job.error.message}</p>}
      <div role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100} className="h-3 w-full rounded bg-slate-200">
        <div className="h-3 rounded bg-emerald-600" style={{ width: `${pct}%` }} />
      </div>
      <p className="text-sm text-slate-600">
        {s.batches.completed}/{s.batches.total} batches · {s.rows.done.toLocaleString()} of {s.rows.total.toLocaleString()} rows
        {s.rowsPerSecond ? ` · ${s.rowsPerSecond.toLocaleString()} rows/s` : ''}
      </p>
      <table className="w-full text-left text-sm">
        <thead className="text-slate-500">
          <tr><th>Table</th><th>Batches</th><th>Inserted</th><th>Ended</th><th>Unchanged</th></tr>
        </thead>
        <tbody>
          {s.tables.map((t) => (
            <tr key={t.table} className="border-t border-slate-200">
              <td className="py-1">{t.table}</td>
              <td>{t.completed}/{t.batches}</td>
              <td>{t.operations.reduce((a, o) => a + o.inserted, 0)}</td>
              <td>{t.operations.reduce((a, o) => a + o.ended, 0)}</td>
              <td>{t.operations.reduce((a, o) => a + o.unchanged, 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
