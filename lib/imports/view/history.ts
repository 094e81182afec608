import type { Sql } from '../../db/client';
import { stagingOf } from '../sql/files';
import { countJobs, jobSummaries, recentJobs, type JobFilter, type JobRow } from '../sql/jobs';
import { isVoid, JOB } from '../state/machine';
import type { JobSummary } from './types';

export interface HistoryQuery extends JobFilter {
  limit?: number;
  offset?: number;
}

/** One page of the import history, newest first, with how many imports match in all. */
export async function historyPage(db: Sql, q: HistoryQuery = {}): Promise<{ imports: JobSummary[]; total: number; limit: number; offset: number }> {
  const limit = q.limit ?? 50;
  const offset = q.offset ?? 0;
  const [imports, total] = await Promise.all([listJobs(db, limit, offset, q), countJobs(db, q)]);
  return { imports, total, limit, offset };
}

/** The import history, newest first, with each job's row counts. */
export async function listJobs(sql: Sql, limit = 50, offset = 0, filter: JobFilter = {}): Promise<JobSummary[]> {
  const jobs = await recentJobs(sql, limit, offset, filter);
  if (jobs.length === 0) return [];
  const ids = jobs.map((j) => j.id);
  const byId = new Map((await jobSummaries(sql, ids)).map((r) => [Number(r.id), r]));
  const staging = await stagingOf(sql, jobs.filter((j) => j.status === JOB.preparing).map((j) => j.id));
  return jobs.map((job) => {
    const r = byId.get(job.id);
    const n = (v: unknown) => Number(v ?? 0);
    return {
      ...job,
      staging: staging.get(job.id) ?? job.staging,
      batchesTotal: n(r?.total),
      batchesCompleted: n(r?.completed),
      batchesFailed: n(r?.failed),
      inserted: n(r?.inserted),
      ended: n(r?.ended),
      unchanged: n(r?.unchanged),
      rejected: n(r?.rejected),
      durationSeconds: importSeconds(job, n(r?.seconds), n(r?.paused)),
    };
  });
}

/**
 * How long the import itself took, its pauses left out: to its finish, or, for one undone later (cancelled, rolled
 * back), to when its undo began, so a rollback's time is not counted as the import's.
 */
function importSeconds(job: JobRow, untilFinishOrNow: number, paused: number): number {
  const undoStarted = job.undo?.startedAt ? Date.parse(job.undo.startedAt) : NaN;
  // A cancel ends the import's pause (paused_seconds then holds all of it); its undo's pauses are not counted there.
  if (isVoid(job.status) && Number.isFinite(undoStarted)) return Math.max(0, (undoStarted - new Date(job.createdAt).getTime()) / 1000 - paused);
  return Math.max(0, untilFinishOrNow - paused);
}
