import type { Db } from '../../db/client';
import { stagingOf } from '../sql/files';
import { jobSummaries, recentJobs } from '../sql/jobs';
import { JOB } from '../state/machine';
import type { JobSummary } from './types';

/** The import history, newest first, with each job's row counts. */
export async function listJobs(db: Db, limit = 50): Promise<JobSummary[]> {
  const sql = db.$client;
  const jobs = await recentJobs(sql, limit);
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
      durationSeconds: n(r?.seconds),
    };
  });
}
