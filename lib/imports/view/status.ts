import type { Sql } from '../../db/client';
import { batchSeconds, finishedTimeline, openBatches, progressGroups, type BatchRowBrief } from '../sql/batches';
import { changePartsProgress } from '../sql/changes';
import { keptErrorCount, keptErrorsWithCode } from '../sql/errors';
import { stagingOf } from '../sql/files';
import { getJob, isLatestAndIdle, registerHead } from '../sql/jobs';
import { previewExpiresAt } from '../jobs/preview';
import { jobNotifications } from '../../notify';
import { matchingProgress } from '../../watch';
import { buildProgress } from '../sql/indexes';
import { actionsFor, BATCH, JOB, type JobStatus } from '../state/machine';
import { baseMismatch, describeDrift } from './describe';
import type { BatchView, Drift, DriftCounts, JobStatusView, OperationProgress, TableProgress } from './types';

export type { BatchView, Drift, JobStatusView, JobSummary, OperationProgress, TableProgress, TimelinePoint } from './types';

/** Points kept on the timeline: the latest ones, enough to show where batches slowed down. */
export const TIMELINE_POINTS = 400;

const n = (v: unknown) => Number(v ?? 0);

function toView(r: BatchRowBrief): BatchView {
  return {
    id: n(r.id),
    table: String(r.table_name),
    operation: String(r.operation),
    batchNumber: n(r.batch_number),
    rows: n(r.row_count),
    attempts: n(r.attempts),
    error: r.error_message ?? null,
  };
}

/** status: a pure read of a job's progress (no writes, safe to poll). */
export async function getJobStatus(sql: Sql, jobId: number): Promise<JobStatusView> {
  const job = await getJob(sql, jobId);
  const [groups, open, seconds, timeline, kept, latestAndIdle, files, currentKeys, changeList, building, head, notices] = await Promise.all([
    progressGroups(sql, jobId),
    openBatches(sql, jobId),
    batchSeconds(sql, jobId),
    finishedTimeline(sql, jobId, TIMELINE_POINTS),
    keptErrorCount(sql, jobId),
    isLatestAndIdle(sql, jobId),
    stagingOf(sql, [jobId]),
    keptErrorsWithCode(sql, jobId, 'KEY_CURRENT'),
    changePartsProgress(sql, jobId),
    job.indexing ? buildProgress(sql) : null, // lib/imports/jobs/indexes.ts
    registerHead(sql),
    jobNotifications(sql, jobId),
  ]);
  const watch = await matchingProgress(sql, jobId);
  job.staging = files.get(jobId) ?? job.staging;

  const tables = tablesOf(groups);
  const ops = tables.flatMap((t) => t.operations);
  const sum = (k: keyof OperationProgress) => ops.reduce((s, o) => s + (o[k] as number), 0);
  const batches = { total: sum('batches'), pending: sum(BATCH.pending), processing: sum(BATCH.processing), completed: sum(BATCH.completed), failed: sum(BATCH.failed), blocked: blockedOf(tables) };
  const rows = { total: sum('rows'), done: sum('rowsDone') };
  const rowsPerSecond = rows.done > 0 && seconds > 0 ? Math.round(rows.done / seconds) : null;
  const active = job.status === JOB.running;
  const undoPaused = Boolean(job.undo?.pausedFrom);
  const facts = { latestAndIdle, failedBatches: batches.failed, allBatchesDone: batches.total === batches.completed, undoPaused, preview: job.preview };
  const actions = actionsFor(job.status, facts);

  return {
    job,
    preview: job.preview ? { basis: job.previewBasis ?? 0, head, expiresAt: previewExpiresAt(job).toISOString() } : null,
    changeList,
    notifications: notices,
    watch,
    indexes: building && { built: building.total - building.pending, total: building.total },
    batches,
    rows,
    totals: { inserted: sum('inserted'), ended: sum('ended'), unchanged: sum('unchanged'), duplicate: sum('duplicate'), noop: sum('noop') },
    tables,
    current: open.filter((r) => r.status === BATCH.processing).map(toView),
    next: open.filter((r) => r.status === BATCH.pending).map(toView)[0] ?? null,
    failures: open.filter((r) => r.status === BATCH.failed).map(toView),
    rowsPerSecond,
    etaSeconds: active && rowsPerSecond ? Math.ceil((rows.total - rows.done) / rowsPerSecond) : null,
    readyToFinalize: actions.finalize,
    timeline: timeline.map((r) => ({
      id: n(r.id),
      table: String(r.table_name),
      operation: String(r.operation),
      batchNumber: n(r.batch_number),
      at: Math.max(0, n(r.at)),
      durationMs: n(r.duration_ms),
      failed: Boolean(r.failed),
    })),
    actions,
    // import_errors keeps the first rows only; the job's counts hold the total.
    rejected: Math.max(kept, n((job.counts as { rejected?: number }).rejected)),
    drift: job.mode === 'resync' ? driftOf(tables, job.status) : null,
    baseWarning: job.mode === 'update' ? baseMismatch(tables, currentKeys) : null,
  };
}

/** Pending insert batches that wait on a failed delete batch of their table (a retry frees them). */
function blockedOf(tables: TableProgress[]): number {
  return tables.reduce((acc, t) => {
    const deletesFailed = t.operations.some((o) => o.operation === 'delete' && o.failed > 0);
    return acc + (deletesFailed ? t.operations.filter((o) => o.operation === 'insert').reduce((a, o) => a + o.pending, 0) : 0);
  }, 0);
}

function tablesOf(groups: (OperationProgress & { table: string })[]): TableProgress[] {
  const tables = new Map<string, TableProgress>();
  for (const { table, ...op } of groups) {
    const t = tables.get(table) ?? { table, batches: 0, completed: 0, failed: 0, rows: 0, rowsDone: 0, operations: [] };
    t.batches += op.batches;
    t.completed += op.completed;
    t.failed += op.failed;
    t.rows += op.rows;
    t.rowsDone += op.rowsDone;
    t.operations.push(op);
    tables.set(table, t);
  }
  return [...tables.values()];
}

function driftOf(tables: TableProgress[], status: JobStatus): Drift {
  const per = tables
    .map((t) => {
      const o = t.operations.find((x) => x.operation === 'resync');
      return o ? { table: t.table, ended: o.ended, inserted: o.inserted, unchanged: o.unchanged } : null;
    })
    .filter((t): t is DriftCounts & { table: string } => t !== null);
  const total = (k: keyof DriftCounts) => per.reduce((s, t) => s + t[k], 0);
  const d = { ended: total('ended'), inserted: total('inserted'), unchanged: total('unchanged'), tables: per };
  return { ...d, summary: describeDrift(d, status) };
}
