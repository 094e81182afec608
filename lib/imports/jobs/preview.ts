import { z } from 'zod';
import type { Queryable, Sql, Tx } from '../../db/client';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import { KBO_TABLES } from '../../kbo/spec';
import { batchTotals, unfinishedBatches } from '../sql/batches';
import { classified, forgetChanges } from '../sql/changes';
import { activeJob, getJob, registerHead, type JobRow } from '../sql/jobs';
import { lockSequence } from '../sql/locks';
import { markApplied, markDiscarded, markPreviewed } from '../state/job-moves';
import type { BatchCounts, BatchRef, ClaimedBatch } from '../state/batch-moves';
import { canMove, JOB, JOB_MOVES, statusLabel, type JobStatus } from '../state/machine';
import { dropUpload } from '../store/parts';
import { applyBatch } from './apply';
import { clearStaging } from './staging';

/**
 * A preview (dry run) is an import that never writes the register. It is created, staged and
 * checked like any other (same files, same rejected rows, same refusals), and its batches are
 * claimed, leased and completed the same way; but each batch is applied inside a savepoint,
 * what it did is read (its counts, and the change list of its entities, classified by the
 * same SQL as an import's), and the savepoint is rolled back before the batch completes. So
 * what a preview says is what the same code did to the register as it stands, and the
 * register is left as it was, row for row. Apply then runs the staged batches again, for
 * real; a register that moved on in the meantime (another import completed or was rolled
 * back) refuses it. Previews do not count as the one active import.
 */

/** Thrown inside the savepoint to roll it back, carrying what the batch did. */
class Rewound extends Error {
  constructor(
    readonly counts: BatchCounts,
    readonly changes: { t: string; n: string; change: string; started: number; ended: number }[],
    /** This batch lists its entities' changes (the last of its table and number to run). */
    readonly lists: boolean,
  ) {
    super('rewound');
  }
}

/** The register moved on while a preview was being worked out: the preview is dropped. */
export class RegisterMoved extends ImportFailure {}

const TABLE_ORDER = KBO_TABLES.map((t) => t.table);

/**
 * A preview's batch, in the caller's transaction (which holds the batch's lease and completes
 * it): applied and rolled back, its counts returned and its changes kept in import_changes. An
 * insert batch of an UPDATE needs its delete batch's rows ended first (a key's rows end before
 * its new ones start), so that one is applied again inside the same savepoint; the entities'
 * changes are listed by the last batch of their table and number to run.
 */
export async function previewBatch(tx: Tx, job: Pick<JobRow, 'id' | 'extractNumber' | 'snapshotDate' | 'mode' | 'previewBasis'>, batch: ClaimedBatch): Promise<BatchCounts> {
  const n = job.extractNumber as number;
  const table = KBO_TABLES.find((t) => t.table === batch.tableName);
  let done: Rewound | undefined;
  try {
    await tx.savepoint(async (sp) => {
      if (batch.operation === 'insert') {
        const before = await twin(sp, batch, 'delete');
        if (before) await applyBatch(sp, job, before);
      }
      const counts = await applyBatch(sp, job, batch);
      const lists = table !== undefined && (batch.operation !== 'delete' || !(await twin(sp, batch, 'insert')));
      const changes = lists ? await sp<Rewound['changes']>`select t, n, change, started, ended from (${classified(sp, table, n, null)}) c` : [];
      throw new Rewound(counts, changes, lists);
    });
  } catch (err) {
    if (!(err instanceof Rewound)) throw err;
    done = err;
  }
  if (!done) throw new Error('a preview batch must end by rolling back');
  await stillOnBasis(tx, job.id, job.previewBasis ?? 0);
  const listed = done.changes.filter((c) => c.change !== 'reissued');
  if (listed.length > 0) {
    await tx`
      insert into import_changes (job_id, o, n, t, change, started, ended)
      select ${job.id}, array_position(${TABLE_ORDER}::text[], c.t), c.n, c.t, c.change, c.started, c.ended
      from unnest(${listed.map((c) => c.t)}::text[], ${listed.map((c) => c.n)}::text[], ${listed.map((c) => c.change)}::text[],
                  ${listed.map((c) => c.started)}::int[], ${listed.map((c) => c.ended)}::int[]) as c(t, n, change, started, ended)`;
  }
  if (done.lists) {
    // One done part per listing batch, so the pages read the list (and its re-issued count) as an import's.
    await tx`
      insert into import_change_parts (job_id, part, table_name, done, reissued)
      values (${job.id}, ${partNumber(batch)}, ${batch.tableName}, true, ${done.changes.length - listed.length})
      on conflict do nothing`;
  }
  return done.counts;
}

/** A part number of its own per table and batch number. */
const partNumber = (b: BatchRef) => (TABLE_ORDER.indexOf(b.tableName as (typeof TABLE_ORDER)[number]) + 1) * 10_000_000 + b.batchNumber;

/** The job's batch of the same table and number doing `operation`, if it has one. */
async function twin(tx: Tx, b: BatchRef, operation: 'delete' | 'insert'): Promise<BatchRef | undefined> {
  const [row] = await tx<{ row_count: number; partition: number | null }[]>`
    select row_count, partition from import_job_batches
    where job_id = ${b.jobId} and table_name = ${b.tableName} and batch_number = ${b.batchNumber} and operation = ${operation}`;
  return row && { ...b, operation, rowCount: row.row_count, partition: row.partition };
}

/**
 * A preview is worked out on the register as the import `basis` left it, with no import
 * running beside it; once that is not so, what it read may already be out of date.
 */
async function stillOnBasis(tx: Tx, jobId: number, basis: number): Promise<void> {
  const why = await movedOn(tx, basis);
  if (why) throw new RegisterMoved('CONFLICT', `${why} while import #${jobId} was being previewed, so the preview no longer says what applying the file would do; it was discarded. Preview the file again.`);
}

/** Why the register is not where a preview made on `basis` found it (undefined: it is). */
async function movedOn(tx: Queryable, basis: number): Promise<string | undefined> {
  const active = await activeJob(tx);
  if (active) return `Import #${active.id} (extract ${active.extractNumber}) is ${statusLabel(active.status)}`;
  const head = await registerHead(tx);
  if (head === basis) return undefined;
  if (head > basis) return `Import #${head} completed after it`;
  return `Import #${basis} was rolled back`;
}

/** finalize, for a preview: every batch worked out; it waits for Apply or Discard, its staging kept. */
export async function finishPreview(tx: Tx, job: JobRow): Promise<void> {
  const open = await unfinishedBatches(tx, job.id);
  if (open.open > 0) {
    throw new ImportFailure(
      'PRECONDITION_FAILED',
      `Preview #${job.id} still has ${open.open} batch${open.open === 1 ? '' : 'es'} to work out${open.failed ? ` (${open.failed} failed: retry them)` : ''}.`,
      open,
    );
  }
  await markPreviewed(tx, job.id, await batchTotals(tx, job.id));
}

export const previewInput = z.object({ jobId: z.number().int().positive() });

/** What Apply or Discard did: the job's status after it, and whether this call moved it. */
export interface PreviewControlled {
  jobId: number;
  status: JobStatus;
  moved: boolean;
}

/** How long a preview left alone is kept (PREVIEW_TTL_HOURS), in milliseconds. */
const ttlMs = () => env().PREVIEW_TTL_HOURS * 3_600_000;

/** When a preview expires: a day (PREVIEW_TTL_HOURS) after it was worked out, or after it began if it never was. */
export function previewExpiresAt(job: Pick<JobRow, 'createdAt' | 'previewedAt'>): Date {
  return new Date(new Date(job.previewedAt ?? job.createdAt).getTime() + ttlMs());
}

/**
 * Apply a preview: it becomes the import, its batches run again from the start, for real,
 * from what was staged (nothing is read again). Refused when the register moved on since the
 * preview began (another import completed, or the one it was made on was rolled back), while
 * another import is active, and once it has expired. Applying it again is harmless.
 */
export async function applyPreview(db: Sql, raw: z.input<typeof previewInput>): Promise<PreviewControlled> {
  const { jobId } = previewInput.parse(raw);
  return db.begin(async (tx) => {
    // The sequence lock, as a new import takes it: the two cannot both become the active one.
    await lockSequence(tx);
    const job = await getJob(tx, jobId, 'update');
    if (!job.preview) {
      if (job.previewedAt !== null) return { jobId, status: job.status, moved: false };
      throw new ImportFailure('PRECONDITION_FAILED', `Import #${jobId} is not a preview; there is nothing to apply.`, { status: job.status });
    }
    if (job.status !== JOB.previewed) {
      const why = job.status === JOB.discarded ? `it was discarded (${job.error?.message ?? 'on request'})` : `it is ${statusLabel(job.status)}; only a preview worked out to the end can be applied`;
      throw new ImportFailure('PRECONDITION_FAILED', `Preview #${jobId} cannot be applied: ${why}.`, { status: job.status });
    }
    if (previewExpiresAt(job).getTime() <= Date.now()) {
      throw new ImportFailure('PRECONDITION_FAILED', `Preview #${jobId} expired at ${previewExpiresAt(job).toISOString()}; preview the file again.`, { status: job.status });
    }
    const why = await movedOn(tx, job.previewBasis ?? 0);
    if (why) {
      throw new ImportFailure('CONFLICT', `The register moved on since preview #${jobId} was made: ${why.charAt(0).toLowerCase()}${why.slice(1)}. Discard this preview and preview the file again.`, {
        basis: job.previewBasis,
      });
    }
    await tx`
      update import_job_batches
      set status = 'pending', attempts = 0, lease_token = null, lease_expires_at = null, started_at = null, completed_at = null,
          duration_ms = null, rows_inserted = null, rows_ended = null, rows_unchanged = null, rows_duplicate = null, rows_noop = null, error_message = null
      where job_id = ${jobId}`;
    // The preview's attempts were not the import's: each batch's one `completed` attempt is its real one.
    await tx`delete from import_batch_attempts where job_id = ${jobId}`;
    await forgetChanges(tx, jobId);
    await tx`update import_jobs set counts = counts - 'totals' where id = ${jobId}`;
    await markApplied(tx, jobId);
    return { jobId, status: JOB.running, moved: true };
  });
}

/**
 * Discard a preview: its staging, its uploaded zip and what it worked out go; the job stays,
 * `discarded`, with why. A batch being worked out finishes first (it holds the job's row).
 */
export async function discardPreview(db: Sql, raw: z.input<typeof previewInput>, why = 'Preview discarded on request.'): Promise<PreviewControlled> {
  const { jobId } = previewInput.parse(raw);
  return db.begin(async (tx) => discardIn(tx, jobId, why));
}

async function discardIn(tx: Tx, jobId: number, why: string): Promise<PreviewControlled> {
  const job = await getJob(tx, jobId, 'update');
  if (!job.preview) throw new ImportFailure('PRECONDITION_FAILED', `Import #${jobId} is not a preview; cancel it or roll it back instead.`, { status: job.status });
  if (job.status === JOB.discarded) return { jobId, status: job.status, moved: false };
  if (!canMove(JOB_MOVES.discard, job.status)) {
    throw new ImportFailure('PRECONDITION_FAILED', `Preview #${jobId} is ${statusLabel(job.status)}; there is nothing to discard.`, { status: job.status });
  }
  // Its batches are left as they are (a discarded job runs none): a batch being worked out holds
  // its row and then waits for this one's, so touching batches here would deadlock with it.
  await clearStaging(tx, jobId);
  await forgetChanges(tx, jobId);
  await dropUpload(tx, job.source);
  await markDiscarded(tx, jobId, { code: 'DISCARDED', message: why });
  return { jobId, status: JOB.discarded, moved: true };
}

/**
 * Whether the register moved away from a preview (another import active or completed, its
 * basis rolled back): a preview's batch that failed is then dropped rather than failed, since
 * what it ran into (another import's rows) is the move itself.
 */
export async function previewMoved(sql: Sql, jobId: number): Promise<RegisterMoved | null> {
  const job = await getJob(sql, jobId);
  if (!job.preview) return null;
  const why = await movedOn(sql, job.previewBasis ?? 0);
  return why ? new RegisterMoved('CONFLICT', `${why} while import #${jobId} was being previewed, so the preview no longer says what applying the file would do; it was discarded. Preview the file again.`) : null;
}

/** Drops a preview the register moved away from while it was being worked out (process.ts). */
export async function discardMoved(db: Sql, jobId: number, err: RegisterMoved): Promise<void> {
  await db.begin((tx) => discardIn(tx, jobId, err.message)).catch(() => undefined);
}

/** Discards every preview left alone for longer than PREVIEW_TTL_HOURS; returns their ids. */
export async function expirePreviews(db: Sql): Promise<number[]> {
  const hours = env().PREVIEW_TTL_HOURS;
  const old = await db<{ id: number }[]>`
    select id from import_jobs
    where preview and status = any(${JOB_MOVES.discard.from as readonly string[]}::text[])
      and coalesce(previewed_at, created_at) < now() - make_interval(hours => ${hours})
    order by id`;
  const expired: number[] = [];
  for (const { id } of old) {
    const r = await discardPreview(db, { jobId: id }, `Preview expired: left alone for more than ${hours} hour${hours === 1 ? '' : 's'}.`).catch(() => undefined);
    if (r?.moved) expired.push(id);
  }
  return expired;
}
