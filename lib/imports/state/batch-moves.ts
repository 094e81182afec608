import type { Tx, Queryable } from '../../db/client';
import type { BatchOperation } from '../../db/schema';
import { ATTEMPT, BATCH, BATCH_MOVES, JOB, type AttemptOutcome } from './machine';

/**
 * The only code that changes a batch's status: one function per move of BATCH_MOVES, each
 * guarded by the statuses it moves from (and, for the lease holder's moves, by its token).
 * The attempt log (import_batch_attempts) is written here too, beside the moves it records.
 */

export interface BatchRef {
  jobId: number;
  tableName: string;
  operation: BatchOperation;
  batchNumber: number;
  rowCount: number;
  /** The register partition all its keys fall in (applied there directly), or null. */
  partition: number | null;
}

export interface ClaimedBatch extends BatchRef {
  id: number;
  leaseToken: string;
  attempts: number;
}

/** What applying one batch did; every staged row lands in exactly one of these counts. */
export interface BatchCounts {
  staged: number;
  inserted: number;
  ended: number;
  unchanged: number;
  duplicate: number;
  noop: number;
}

const { claim, complete, fail, release, reclaim, retry } = BATCH_MOVES;
const from = (m: { from: readonly string[] }) => m.from as readonly string[];

/**
 * pending (or processing with an expired lease) -> processing: the next runnable batch of a
 * running job, with a new lease. An insert batch starts once the delete batch of the same
 * number and table has completed: both hold the same keys (batchOf), so a key's row is ended
 * before its new one is inserted. SKIP LOCKED lets concurrent drivers take different batches.
 */
export async function claimBatch(sql: Queryable, jobId: number, leaseSeconds: number): Promise<ClaimedBatch | undefined> {
  const [row] = await sql<
    { id: number; table_name: string; operation: BatchOperation; batch_number: number; row_count: number; lease_token: string; attempts: number; partition: number | null }[]
  >`
    with next as (
      select b.id
      from import_job_batches b
      join import_jobs j on j.id = b.job_id
      where b.job_id = ${jobId}
        and j.status = ${JOB.running}
        and b.status = any(${from(claim)}::text[])
        and (b.status = ${BATCH.pending} or b.lease_expires_at < now())
        and (b.operation <> 'insert' or not exists (
              select 1 from import_job_batches d
              where d.job_id = b.job_id and d.table_name = b.table_name
                and d.batch_number = b.batch_number and d.operation = 'delete' and d.status <> ${BATCH.completed}))
      order by b.operation = 'insert', b.batch_number, b.table_name
      limit 1
      for update of b skip locked
    )
    update import_job_batches b
    set status = ${claim.to}, attempts = b.attempts + 1, lease_token = gen_random_uuid(),
        lease_expires_at = now() + make_interval(secs => ${leaseSeconds}), started_at = now(), error_message = null
    from next
    where b.id = next.id
    returning b.id, b.table_name, b.operation, b.batch_number, b.row_count, b.lease_token, b.attempts, b.partition`;
  if (!row) return undefined;
  return {
    id: Number(row.id),
    jobId,
    tableName: row.table_name,
    operation: row.operation,
    batchNumber: row.batch_number,
    rowCount: row.row_count,
    partition: row.partition,
    leaseToken: row.lease_token,
    attempts: row.attempts,
  };
}

/**
 * Inside the apply transaction, first: locks the batch row and checks that the lease is still
 * this holder's. A cancel's undo waits for rows held like this one.
 */
export async function holdLease(tx: Tx, batch: ClaimedBatch): Promise<boolean> {
  const held = await tx`
    select 1 from import_job_batches
    where id = ${batch.id} and lease_token = ${batch.leaseToken} and status = ${BATCH.processing}
    for update`;
  return held.length > 0;
}

/**
 * The holder's heartbeat: the lease runs `leaseSeconds` from now again. A row its own apply
 * transaction has locked is skipped, not waited for (that lock keeps every other driver off
 * it anyway). False once the lease is no longer this holder's.
 */
export async function renewLease(sql: Queryable, batch: ClaimedBatch, leaseSeconds: number): Promise<boolean> {
  const renewed = await sql`
    update import_job_batches set lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
    where id = (select id from import_job_batches
                where id = ${batch.id} and lease_token = ${batch.leaseToken} and status = ${BATCH.processing}
                for update skip locked)
    returning id`;
  return renewed.length > 0;
}

/** processing -> completed, in the transaction that applied it (at the end of its work: `now()` would be when that transaction began). */
export async function completeBatch(tx: Tx, batch: ClaimedBatch, counts: BatchCounts, durationMs: number): Promise<void> {
  await tx`
    update import_job_batches
    set status = ${complete.to}, completed_at = clock_timestamp(), lease_expires_at = null,
        duration_ms = ${durationMs}, rows_inserted = ${counts.inserted}, rows_ended = ${counts.ended},
        rows_unchanged = ${counts.unchanged}, rows_duplicate = ${counts.duplicate}, rows_noop = ${counts.noop}
    where id = ${batch.id} and status = any(${from(complete)}::text[])`;
}

/** processing -> failed, with the message a person reads; waits for a retry. */
export async function failBatch(sql: Queryable, batch: ClaimedBatch, message: string, durationMs: number): Promise<boolean> {
  const failed = await sql`
    update import_job_batches
    set status = ${fail.to}, error_message = ${message}, lease_expires_at = null, duration_ms = ${durationMs}
    where id = ${batch.id} and lease_token = ${batch.leaseToken} and status = any(${from(fail)}::text[])
    returning id`;
  return failed.length > 0;
}

/** processing -> pending, as if never claimed (attempt not counted): the job stopped before it applied. */
export async function releaseBatch(sql: Queryable, batch: ClaimedBatch): Promise<void> {
  await sql`
    update import_job_batches
    set status = ${release.to}, attempts = attempts - 1, lease_token = null, lease_expires_at = null, started_at = null
    where id = ${batch.id} and lease_token = ${batch.leaseToken} and status = any(${from(release)}::text[])`;
}

/**
 * After a transient failure the holder tries again: the next attempt counts, and keeps the
 * lease for as long as a fresh claim would. Undefined when the lease is gone.
 */
export async function renewForRetry(sql: Queryable, batch: ClaimedBatch): Promise<number | undefined> {
  const kept = await sql<{ attempts: number }[]>`
    update import_job_batches
    set attempts = attempts + 1, lease_expires_at = now() + (lease_expires_at - started_at), started_at = now()
    where id = ${batch.id} and lease_token = ${batch.leaseToken} and status = ${BATCH.processing}
    returning attempts`;
  return kept[0] ? Number(kept[0].attempts) : undefined;
}

/** processing -> pending for every batch of a job that starts undoing (waits for batches still applying). */
export async function reclaimBatches(tx: Tx, jobId: number): Promise<void> {
  await tx`
    update import_job_batches set status = ${reclaim.to}, lease_token = null, lease_expires_at = null
    where job_id = ${jobId} and status = any(${from(reclaim)}::text[])`;
}

/** failed -> pending: one failed batch, or every failed batch of the job. Returns the ids moved. */
export async function retryFailedBatches(sql: Queryable, jobId: number, batchId?: number): Promise<number[]> {
  const rows = await sql<{ id: number }[]>`
    update import_job_batches set status = ${retry.to}, error_message = null
    where job_id = ${jobId} and status = any(${from(retry)}::text[]) ${batchId ? sql`and id = ${batchId}` : sql``}
    returning id`;
  return rows.map((r) => Number(r.id));
}

/**
 * A prepare step that copied straight into a final table is its own batch, born completed
 * (with its one attempt), so status, reports and undo count it like any other.
 */
export async function insertCompletedBatch(
  tx: Tx,
  b: { jobId: number; tableName: string; batchNumber: number; rows: number; inserted: number; duplicate: number; startedAt: Date },
): Promise<void> {
  const startedAt = b.startedAt.toISOString();
  const [batch] = await tx<{ id: number }[]>`
    insert into import_job_batches (job_id, table_name, operation, batch_number, status, row_count, attempts,
                                    started_at, completed_at, duration_ms, rows_inserted, rows_ended, rows_unchanged, rows_duplicate, rows_noop)
    values (${b.jobId}, ${b.tableName}, 'insert', ${b.batchNumber}, ${BATCH.completed}, ${b.rows}, 1,
            ${startedAt}::timestamptz, clock_timestamp(), ${Date.now() - b.startedAt.getTime()}, ${b.inserted}, 0, 0, ${b.duplicate}, 0)
    returning id`;
  await logAttempt(tx, { id: Number((batch as { id: number }).id), jobId: b.jobId }, 1, b.startedAt, ATTEMPT.completed);
}

/** One row per attempt at a batch; `completed` is written in the batch's own transaction. */
export async function logAttempt(
  sql: Queryable,
  batch: { id: number; jobId: number },
  attempt: number,
  startedAt: Date,
  outcome: AttemptOutcome,
  error: string | null = null,
): Promise<void> {
  await sql`
    insert into import_batch_attempts (batch_id, job_id, attempt, outcome, started_at, error)
    values (${batch.id}, ${batch.jobId}, ${attempt}, ${outcome}, ${startedAt.toISOString()}::timestamptz, ${error})`;
}
