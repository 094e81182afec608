'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ProgressBar } from '@/app/_components/progress-bar';
import { StagingProgressView } from '@/app/_components/staging-progress';
import { StatusBadge } from '@/app/_components/status-badge';
import { describeCurrent, describePause, formatCount, formatDuration, percent, tableState, tableStateText } from '@/lib/imports/view/describe';
import { BATCH, isTerminal, isUndoing, JOB } from '@/lib/imports/state/machine';
import type { JobStatusView } from '@/lib/imports/view/types';
import { api, ApiError, fetchStatus, statusKey } from '../../_lib/api';
import { Button, ConfirmButton } from './confirm-button';
import { TimelineChart } from './timeline-chart';
import { useDriver, type DriverProblem } from './use-driver';

const fmt = formatCount;
const CONCURRENCY_KEY = 'kbo-import-concurrency';

/** Parallel process-batch calls from this tab: 1–8, default 4, remembered per browser. */
function useConcurrency(): [number, (n: number) => void] {
  const [value, setValue] = useState(4);
  useEffect(() => {
    const saved = Number(window.localStorage.getItem(CONCURRENCY_KEY));
    if (Number.isInteger(saved) && saved >= 1 && saved <= 8) setValue(saved);
  }, []);
  return [
    value,
    (n: number) => {
      window.localStorage.setItem(CONCURRENCY_KEY, String(n));
      setValue(n);
    },
  ];
}

/** The progress page: polls status, drives the batches, and offers the operator's controls. */
export function Progress({ jobId }: { jobId: number }) {
  const queryClient = useQueryClient();
  const [concurrency, setConcurrency] = useConcurrency();
  const status = useQuery({
    queryKey: statusKey(jobId),
    queryFn: () => fetchStatus(jobId),
    refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.job.status) ? false : 1_000),
    retry: (count, err) => !(err instanceof ApiError && err.status === 404) && count < 1_000,
    retryDelay: (n) => Math.min(15_000, 500 * 2 ** n),
  });
  const s = status.data;
  // Set while the query retries (error only once it gives up): the page says so at once.
  const statusProblem = (status.error ?? status.failureReason) as Error | null;
  const driver = useDriver(jobId, s, concurrency);

  const action = useMutation({
    mutationFn: ({ verb, body }: { verb: string; body?: unknown }) =>
      api<JobStatusView | { progress: JobStatusView }>(`/api/imports/${jobId}/${verb}`, { method: 'POST', body: body ?? {} }),
    onSuccess: (r) => {
      queryClient.setQueryData(statusKey(jobId), 'progress' in r ? r.progress : r);
      void queryClient.invalidateQueries({ queryKey: ['imports'] });
    },
  });
  const run = (verb: string, body?: unknown) => action.mutate({ verb, body });

  if (!s) {
    if (statusProblem) {
      return (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 p-4 text-red-800" data-testid="status-error">
          {statusProblem.message}
          {status.error ? '' : ' Retrying…'}
        </p>
      );
    }
    return <p className="text-slate-500">Loading import #{jobId}…</p>;
  }

  const { job } = s;
  const pct = percent(s.batches.completed, s.batches.total);
  const current = describeCurrent(s);
  const undo = job.undo;
  const undoView = isUndoing(job.status) || job.status === JOB.cancelled || job.status === JOB.rolled_back || Boolean(job.undo?.pausedFrom);

  return (
    <div className="space-y-6">
      <header className="space-y-1">
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-semibold">
            Import #{job.id}: {job.extractType} {job.extractNumber}
            {job.mode === 'resync' ? ' (resync)' : ''}
          </h1>
          <StatusBadge status={job.status} testId="job-status" />
        </div>
        <p className="text-sm text-slate-600">
          {job.fileName} · snapshot {job.snapshotDate ?? '–'} · {fmt(s.rows.total)} rows in {fmt(s.batches.total)} batches
          {job.forced ? ' · forced out of sequence' : ''}
        </p>
      </header>

      <Controls s={s} run={run} busy={action.isPending} concurrency={concurrency} setConcurrency={setConcurrency} jobId={jobId} />

      <div className="space-y-2" aria-live="polite">
        {job.error && <Alert tone="red" testId="job-error">{job.error.message}</Alert>}
        {s.rejected > 0 && job.status !== JOB.failed && (
          <Alert tone="amber" testId="rejected-note">
            {fmt(s.rejected)} bad row{s.rejected === 1 ? ' was' : 's were'} rejected and not imported (mode: {job.onError}).{' '}
            <a className="font-medium underline" href={`/api/imports/${jobId}/report?format=csv`} download>
              Download them as CSV
            </a>
            .
          </Alert>
        )}
        {job.warnings.length > 0 && (
          <Alert tone="amber" testId="job-warnings">
            {job.warnings.join(' ')}
          </Alert>
        )}
        {action.error && <Alert tone="red" testId="action-error">{action.error.message}</Alert>}
        {driver.problem && <Retrying problem={driver.problem} />}
        {driver.fatal && (
          <Alert tone="red" testId="driver-error">
            The batches stopped: {driver.fatal}{' '}
            <button type="button" className="font-medium underline" onClick={driver.restart}>
              Try again
            </button>
          </Alert>
        )}
        {statusProblem && <Alert tone="amber" testId="status-error">Status is not refreshing: {statusProblem.message} Retrying…</Alert>}
        {s.baseWarning && (
          <Alert tone="amber" testId="base-warning">
            {s.baseWarning}
          </Alert>
        )}
        {job.status === JOB.paused && (
          <Alert tone="amber" testId="paused-note">
            {describePause(s)}
          </Alert>
        )}
        {job.status === JOB.running && s.batches.failed > 0 && (
          <Alert tone="red" testId="failed-note">
            {s.batches.failed} batch{s.batches.failed === 1 ? '' : 'es'} failed. The import finishes once {s.batches.failed === 1 ? 'it is' : 'they are'}{' '}
            retried successfully (see below).
          </Alert>
        )}
      </div>

      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Overall progress">
        <div className="flex items-baseline justify-between gap-4">
          <h2 className="font-semibold">Progress</h2>
          <span className="text-2xl font-semibold tabular-nums" data-testid="overall-percent">
            {pct}%
          </span>
        </div>
        {(job.status === JOB.preparing || (job.status === JOB.paused && !job.preparedAt)) && <StagingProgressView staging={job.staging} />}
        <ProgressBar value={pct} label="Overall progress" testId="overall-progress" tone={job.status === JOB.paused ? 'amber' : 'emerald'} />
        <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm sm:grid-cols-4">
          <Stat label="Batches" value={`${fmt(s.batches.completed)} / ${fmt(s.batches.total)}`} testId="batches-count" />
          <Stat label="File rows applied" value={`${fmt(s.rows.done)} / ${fmt(s.rows.total)}`} testId="rows-count" />
          <Stat label="File rows/s (while applying)" value={s.rowsPerSecond ? fmt(s.rowsPerSecond) : '–'} />
          <Stat label="ETA" value={job.status === JOB.running ? formatDuration(s.etaSeconds) : '–'} />
        </dl>
        <p className="min-h-5 text-sm text-slate-700" data-testid="current-operation">
          {current ?? (driver.workers > 0 && job.status === JOB.running ? 'Waiting for the next batch…' : ' ')}
        </p>
        {undo && undoView && <UndoProgress undo={undo} status={job.status} />}
        <p className="text-xs text-slate-500 tabular-nums">
          Register rows, every table and the codes: inserted {fmt(s.totals.inserted)} · ended {fmt(s.totals.ended)} · unchanged {fmt(s.totals.unchanged)} · duplicates {fmt(s.totals.duplicate)} · no-op
          deletes {fmt(s.totals.noop)} · rejected {fmt(s.rejected)}
          {driver.workers > 0 ? ` · ${driver.workers} worker${driver.workers === 1 ? '' : 's'} in this tab` : ''}
        </p>
      </section>

      {s.drift && <DriftView drift={s.drift} codes={s.tables.find((t) => t.table === 'codes')?.operations.find((o) => o.operation === 'replace') ?? null} />}

      <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Tables">
        <h2 className="mb-3 font-semibold">Tables</h2>
        <ul className="space-y-3" data-testid="tables">
          {s.tables.map((t) => {
            // Once a job is being undone, its tables' batch states are history: say so instead.
            const state = tableState(t, s.current);
            const tone = undoView ? 'orange' : state.kind === BATCH.failed ? 'red' : state.kind === 'done' ? 'emerald' : 'sky';
            return (
              <li key={t.table} className="grid grid-cols-[7rem_1fr] items-center gap-x-3 gap-y-1 sm:grid-cols-[9rem_1fr_5rem_17rem]" data-testid={`table-${t.table}`}>
                <span className="font-medium">{t.table}</span>
                <ProgressBar value={percent(t.completed, t.batches)} label={`${t.table} progress`} tone={tone} size="sm" />
                <span className="text-sm text-slate-600 tabular-nums sm:text-right">
                  {t.completed}/{t.batches}
                </span>
                <span className="truncate text-sm tabular-nums sm:whitespace-nowrap" data-testid="table-state">
                  <span className={state.kind === BATCH.failed ? 'text-red-700' : state.kind === 'done' ? 'text-emerald-700' : 'text-slate-700'}>
                    {undoView ? (isUndoing(job.status) ? 'being undone' : 'undone') : tableStateText(state)}
                  </span>
                  {!undoView && 'phase' in state && state.phase && <span className="text-slate-500"> · {state.phase}</span>}
                </span>
                <span className="col-span-2 text-xs text-slate-500 tabular-nums sm:col-span-3 sm:col-start-2" data-testid="table-counts">
                  {tableCounts(t)}
                </span>
              </li>
            );
          })}
        </ul>
      </section>

      <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Batch timeline">
        <h2 className="font-semibold">Batch timeline</h2>
        <p className="mb-2 text-xs text-slate-500">Duration of each batch against when it finished; slow batches stand out at the top.</p>
        <div className="h-64" data-testid="timeline">
          <TimelineChart points={s.timeline} />
        </div>
      </section>

      {s.failures.length > 0 && (
        <section className="rounded-lg border border-red-200 bg-white p-4 shadow-sm" aria-label="Failed batches">
          <div className="mb-3 flex items-center justify-between gap-3">
            <h2 className="font-semibold text-red-800">Failed batches</h2>
            <Button onClick={() => run('retry-batch')} disabled={action.isPending || !s.actions.retry} data-testid="retry-all">
              Retry all failed
            </Button>
          </div>
          <ul className="divide-y divide-slate-100" data-testid="failures">
            {s.failures.map((f) => (
              <li key={f.id} className="flex flex-wrap items-start justify-between gap-3 py-2" data-testid={`failure-${f.id}`}>
                <div className="min-w-0 flex-1 text-sm">
                  <p className="font-medium">
                    {f.table} · {f.operation} · batch {f.batchNumber + 1} · {fmt(f.rows)} rows · attempt {f.attempts}
                  </p>
                  <p className="break-words text-red-800">{f.error}</p>
                </div>
                <Button onClick={() => run('retry-batch', { batchId: f.id })} disabled={action.isPending || !s.actions.retry} data-testid="retry-batch">
                  Retry
                </Button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

/** What a table's batches did so far: rows inserted, ended and left unchanged (the register's rows, not the file's). */
function tableCounts(t: JobStatusView['tables'][number]): string {
  const sum = (k: 'inserted' | 'ended' | 'unchanged') => t.operations.reduce((a, o) => a + o[k], 0);
  return `inserted ${fmt(sum('inserted'))} · ended ${fmt(sum('ended'))} · unchanged ${fmt(sum('unchanged'))}`;
}

/** A resync: the FULL compared with the current rows, table by table. */
function DriftView({ drift, codes }: { drift: NonNullable<JobStatusView['drift']>; codes: { inserted: number; ended: number; unchanged: number } | null }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Resync" data-testid="drift">
      <h2 className="font-semibold">Resync with the FULL extract</h2>
      <p className="mb-3 text-sm text-slate-700" data-testid="drift-summary">
        {drift.summary}
      </p>
      <table className="w-full text-sm tabular-nums">
        <thead className="text-left text-xs text-slate-500">
          <tr>
            <th className="font-medium">Table</th>
            <th className="text-right font-medium">Ended</th>
            <th className="text-right font-medium">Inserted</th>
            <th className="text-right font-medium">Unchanged</th>
          </tr>
        </thead>
        <tbody>
          {drift.tables.map((t) => (
            <tr key={t.table} data-testid={`drift-${t.table}`}>
              <td>{t.table}</td>
              <td className="text-right">{fmt(t.ended)}</td>
              <td className="text-right">{fmt(t.inserted)}</td>
              <td className="text-right">{fmt(t.unchanged)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {codes && (
        <p className="mt-2 text-xs text-slate-500 tabular-nums" data-testid="drift-codes">
          Codes (code.csv replaces the code table as a whole, so they are not drift): inserted {fmt(codes.inserted)} · ended {fmt(codes.ended)} · unchanged {fmt(codes.unchanged)}.
          With them, these add up to the totals above.
        </p>
      )}
    </section>
  );
}

function Controls({
  s,
  run,
  busy,
  concurrency,
  setConcurrency,
  jobId,
}: {
  s: JobStatusView;
  run: (verb: string) => void;
  busy: boolean;
  concurrency: number;
  setConcurrency: (n: number) => void;
  jobId: number;
}) {
  const { actions, job } = s;
  return (
    <div className="flex flex-wrap items-center gap-3" role="toolbar" aria-label="Import controls">
      {!isTerminal(job.status) && (
      <label className="flex items-center gap-2 text-sm text-slate-700">
        Parallel batches
        <select
          value={concurrency}
          onChange={(e) => setConcurrency(Number(e.target.value))}
          className="rounded-md border border-slate-300 bg-white px-2 py-1"
          data-testid="concurrency"
        >
          {[1, 2, 3, 4, 5, 6, 7, 8].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      )}
      {actions.pause && (
        <Button onClick={() => run('pause')} disabled={busy} data-testid="pause">
          Pause
        </Button>
      )}
      {actions.resume && (
        <Button tone="primary" onClick={() => run('resume')} disabled={busy} data-testid="resume">
          Resume
        </Button>
      )}
      {actions.cancel && (
        <ConfirmButton
          label="Cancel"
          title={`Cancel import #${job.id}?`}
          body={<p>Every batch applied so far is undone, and the register is left exactly as it was before this import. The file can be uploaded again later.</p>}
          confirm="Cancel import"
          dismiss="Don't cancel, carry on importing"
          onConfirm={() => run('cancel')}
          disabled={busy}
          testId="cancel"
        />
      )}
      {actions.rollback && (
        <ConfirmButton
          label="Roll back"
          title={`Roll back import #${job.id}?`}
          body={
            <p>
              Every table returns to its state before extract {job.extractNumber}: rows this import added are removed, rows it ended become current again,
              codes and primary names included.
            </p>
          }
          confirm="Roll back"
          dismiss="Don't roll back"
          onConfirm={() => run('rollback')}
          disabled={busy}
          testId="rollback"
        />
      )}
      {job.status === JOB.completed && !actions.rollback && (
        <span className="text-sm text-slate-500" data-testid="rollback-unavailable">
          Roll back is offered for the latest completed import only, while no other import is active: roll back the later imports first.
        </span>
      )}
      <span className="ml-auto flex gap-3 text-sm">
        <a className="text-sky-700 underline underline-offset-2" href={`/api/imports/${jobId}/report`} download data-testid="report-json">
          Report (JSON)
        </a>
        <a className="text-sky-700 underline underline-offset-2" href={`/api/imports/${jobId}/report?format=csv`} download data-testid="report-csv">
          Rejected rows (CSV)
        </a>
      </span>
    </div>
  );
}

function UndoProgress({ undo, status }: { undo: NonNullable<JobStatusView['job']['undo']>; status: JobStatusView['job']['status'] }) {
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  const planned = Object.values(undo.planned).reduce((a, p) => a + p.remove + p.restore, 0);
  const done = sum(undo.removed) + sum(undo.restored);
  const finished = status === JOB.cancelled || status === JOB.rolled_back;
  return (
    <div className="space-y-1" data-testid="undo-progress">
      <ProgressBar value={finished ? 100 : percent(Math.min(done, planned), planned)} label="Undo progress" tone="orange" size="sm" />
      <p className="text-sm text-slate-700 tabular-nums">
        {finished ? 'Undone: ' : 'Undoing: '}
        removed {fmt(sum(undo.removed))} rows this import added, restored {fmt(sum(undo.restored))} rows it ended
        {!finished && planned > 0 ? ` (of about ${fmt(planned)})` : ''}.
      </p>
    </div>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="font-medium tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

function Alert({ tone, testId, children }: { tone: 'red' | 'amber'; testId: string; children: React.ReactNode }) {
  const style = tone === 'red' ? 'border-red-200 bg-red-50 text-red-800' : 'border-amber-200 bg-amber-50 text-amber-900';
  return (
    <div role={tone === 'red' ? 'alert' : 'status'} className={`rounded-md border px-3 py-2 text-sm ${style}`} data-testid={testId}>
      {children}
    </div>
  );
}

function Retrying({ problem }: { problem: DriverProblem }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, []);
  return (
    <Alert tone="amber" testId="driver-retrying">
      {problem.message} Retrying in {Math.max(0, Math.ceil((problem.retryAt - now) / 1000))} s (attempt {problem.attempt + 1}).
    </Alert>
  );
}
