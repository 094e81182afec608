/** What the chaos test checks: the register tables against the reference, table by table, and the batch log's counts. */
import { ATTEMPT, indexBuildProgress, JOB } from '../../lib/imports';
import type { TableChecksum } from '../../lib/db/checksums';
import type { Sql } from '../../lib/db/client';

/** Prints one table of per-table checksums side by side; returns what differs. */
export function compare(title: string, ref: Record<string, TableChecksum>, got: Record<string, TableChecksum>): { lost: number; different: number } {
  let lost = 0;
  let different = 0;
  console.log(`\n${title}:\ntable            reference rows  chaos rows  reference md5                     chaos md5                         equal`);
  for (const table of Object.keys(ref)) {
    const a = ref[table] as TableChecksum;
    const b = got[table] as TableChecksum;
    const equal = a.rows === b.rows && a.md5 === b.md5;
    if (!equal) different++;
    lost += Math.max(0, a.rows - b.rows);
    console.log(`${table.padEnd(16)} ${String(a.rows).padStart(14)}  ${String(b.rows).padStart(10)}  ${a.md5}  ${b.md5}  ${equal ? 'yes' : 'NO'}`);
  }
  return { lost, different };
}

/** The batch log in figures: batches, those not applied exactly once, attempts by outcome, batches reclaimed, jobs completed and failed. */
export async function batchLog(sql: Sql) {
  const [r] = await sql<
    { batches: number; not_once: number; attempts: number; lease_lost: number; retried: number; released: number; reclaimed: number; completed_jobs: number; failed_jobs: number }[]
  >`
    select
      (select count(*) from import_job_batches)::int as batches,
      (select count(*) from (
         select b.id from import_job_batches b left join import_batch_attempts a on a.batch_id = b.id and a.outcome = ${ATTEMPT.completed}
         group by b.id having count(a.id) <> 1) x)::int as not_once,
      (select count(*) from import_batch_attempts)::int as attempts,
      (select count(*) from import_batch_attempts where outcome = ${ATTEMPT.lease_lost})::int as lease_lost,
      (select count(*) from import_batch_attempts where outcome = ${ATTEMPT.retried})::int as retried,
      (select count(*) from import_batch_attempts where outcome = ${ATTEMPT.released})::int as released,
      (select count(*) from import_job_batches where attempts > 1)::int as reclaimed,
      (select count(*) from import_jobs where status = ${JOB.completed})::int as completed_jobs,
      (select count(*) from import_jobs where status = ${JOB.failed})::int as failed_jobs`;
  const v = r as NonNullable<typeof r>;
  return {
    batches: v.batches,
    notOnce: v.not_once,
    attempts: v.attempts,
    leaseLost: v.lease_lost,
    retried: v.retried,
    released: v.released,
    reclaimed: v.reclaimed,
    completedJobs: v.completed_jobs,
    failedJobs: v.failed_jobs,
  };
}

/**
 * The register's indexes after the run: partitions still lacking a deferred index (none once
 * every build is done) and indexes left invalid (a build cut off must leave none behind).
 */
export async function indexState(sql: Sql): Promise<{ pending: number; invalid: number }> {
  const { pending } = await indexBuildProgress(sql);
  const [r] = await sql<{ n: number }[]>`select count(*)::int as n from pg_index where not indisvalid`;
  return { pending, invalid: r?.n ?? 0 };
}
