'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ProgressBar } from '@/app/_components/progress-bar';
import { StagingProgressView } from '@/app/_components/staging-progress';
import { StatusBadge } from '@/app/_components/status-badge';
import { BATCH, describeCurrent, describeIndexing, describePause, formatCount, formatDuration, isTerminal, isUndoing, JOB, type JobStatusView, percent, tableState, tableStateText } from '@/lib/imports/shared';
import { api, ApiError, fetchStatus, statusKey } from '../../_lib/api';
import { Button } from './confirm-button';
import { Controls, useConcurrency } from './controls';
import { Alert, Retrying, Stat } from './notices';
import { DriftView, PreviewNote, UndoProgress } from './sections';
import { NotificationsTable } from '../notifications-table';
import { TimelineChart } from './timeline-chart';
import { useDriver } from './use-driver';

const fmt = formatCount;
/** The progress page: polls status, drives the batches, and offers the operator's controls. */
export function Progress({ jobId }: { jobId: number }) {
  const queryClient = useQueryClient();
  const [concurrency, setConcurrency] = useConcurrency();
  const status = useQuery({
    queryKey: statusKey(jobId),
    queryFn: () => fetchStatus(jobId),
    // A preview worked out waits for Apply or Discard (from here or elsewhere): a slower poll.
    refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.job.status) ? false : q.state.data?.job.status === JOB.previewed ? 5_000 : 1_000),
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
    // Refused (the import moved on meanwhile: a Pause as the last batch finished): read where
    // it stands now, so the page shows that beside the reason, not the state it was clicked in.
    onError: () => void queryClient.invalidateQueries({ queryKey: statusKey(jobId) }),
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
            {job.preview ? 'Preview' : 'Import'} #{job.id}: {job.extractType} {job.extractNumber}
            {job.mode === 'resync' ? ' (resync)' : ''}
          </h1>
          <StatusBadge status={job.status} testId="job-status" />
        </div>
        <p className="text-sm text-slate-600">
          {job.fileName} · snapshot {job.snapshotDate ?? '–'} · {fmt(s.rows.total)} rows in {fmt(s.batches.total)} batches
          {job.forced ? ' · forced out of sequence' : ''}
        </p>
      </header>

      <Controls s={s} run={run} busy={action.isPending} pending={action.isPending ? action.variables.verb : null} concurrency={concurrency} setConcurrency={setConcurrency} jobId={jobId} />

      <div className="space-y-2" aria-live="polite">
        <PreviewNote s={s} />
        {job.error && job.status !== JOB.discarded && <Alert tone="red" testId="job-error">{job.error.message}</Alert>}
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
        {s.indexes && (
          <Alert tone="amber" testId="indexes-note">
            {describeIndexing(s.indexes)}
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
          <Stat label={job.preview ? 'File rows worked out' : 'File rows applied'} value={`${fmt(s.rows.done)} / ${fmt(s.rows.total)}`} testId="rows-count" />
          <Stat label="File rows/s (while applying)" value={s.rowsPerSecond ? fmt(s.rowsPerSecond) : '–'} testId="rows-per-second" />
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
                  {s.changeList.reissued[t.table] ? (
                    <span data-testid="table-reissued">
                      {' '}
                      · of these, {fmt(s.changeList.reissued[t.table] as number)} {s.changeList.reissued[t.table] === 1 ? 'entity' : 'entities'} re-issued unchanged
                      (ended and inserted again as they were; not in the change list)
                    </span>
                  ) : null}
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

      {s.notifications.length > 0 && (
        <section className="space-y-2" aria-label="Notifications">
          <h2 className="font-semibold">Notifications</h2>
          <p className="text-xs text-slate-500">What this import told people (the webhook, email: docs/configuration.md), and whether it went out; a failed delivery is tried again, pausing longer each time.</p>
          <NotificationsTable notifications={s.notifications} />
        </section>
      )}

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
