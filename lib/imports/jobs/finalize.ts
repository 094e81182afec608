import { z } from 'zod';
import { tableSpec, type DataTableName } from '../../kbo/spec';
import type { Sql, Tx } from '../../db/client';
import { env } from '../../env';
import { ident, identList, rowKey, withoutJit } from '../../db/sql';
import { ImportFailure } from '../../errors';
import { batchTotals, countRepeatsAsDuplicates, staleTables, unfinishedBatches } from '../sql/batches';
import { unsortedDirectTables } from '../sql/files';
import { anyIndexing, getJob } from '../sql/jobs';
import { markCompleted } from '../state/job-moves';
import { canMove, JOB, JOB_MOVES, type JobStatus } from '../state/machine';
import { dropUpload } from '../store/parts';
import { planChangeParts } from '../sql/changes';
import { analyzeTargets } from '../sql/indexes';
import { analyzeSteps } from './analyze';
import { changeListSteps } from './change-list';
import { indexSteps } from './indexes';
import { refreshPrimaryNames } from './primary-names';
import { clearStaging } from './staging';
import { finishPreview } from './preview';
import { noticeOf, sendNotices } from './notices';

export const finalizeInput = z.object({
  jobId: z.number().int().positive(),
  /** Time for refreshing statistics after completing (default IMPORT_BATCH_BUDGET_MS from the call's start); the step calls after it do the rest. */
  budgetMs: z.number().int().min(0).max(60_000).optional(),
});

/** What finalize did: `moved` is false when the job was already completed. */
export interface Finalized {
  jobId: number;
  status: JobStatus;
  moved: boolean;
  extractNumber: number | null;
}

/**
 * finalize: once every batch is completed, refresh each touched enterprise's primary name,
 * record the totals, mark the job completed and drop its staging rows, in one transaction;
 * then refresh the statistics of the tables it changed, within the call's budget. Calling it
 * again on a completed job changes nothing.
 */
export async function finalizeImport(db: Sql, raw: z.input<typeof finalizeInput>): Promise<Finalized> {
  const { jobId, budgetMs = env().IMPORT_BATCH_BUDGET_MS } = finalizeInput.parse(raw);
  const deadline = Date.now() + budgetMs;
  const finalized = await complete(db, jobId);
  // A preview stops here: nothing was written, so nothing is left to index, analyse or list.
  if (finalized.status === JOB.previewed) return finalized;
  // Its notification, recorded as it completed, goes out first.
  if (finalized.moved) await sendNotices(db, deadline);
  // A FULL that loaded without its indexes builds them first (indexes.ts): statistics and
  // the rest wait for the last, so the planner's sample sees every index.
  if (finalized.moved && (await anyIndexing(db))) {
    await indexSteps(db, deadline);
    if (await anyIndexing(db)) return finalized;
  }
  // Fresh statistics for what it changed, as far as this call's time allows (analyze.ts). The
  // import is complete whatever happens here: what is left is taken by the next step calls.
  if (finalized.moved) await analyzeSteps(db, jobId, deadline).catch((err) => console.warn(`[kbo-import] statistics after import #${jobId} left to the next step`, (err as Error).message));
  // Then its change list, worked out once (change-list.ts), as far as the time allows.
  if (finalized.moved) await changeListSteps(db, { id: jobId, extractNumber: finalized.extractNumber }, deadline);
  return finalized;
}

async function complete(db: Sql, jobId: number): Promise<Finalized> {
  return db.begin(async (tx) => {
    await withoutJit(tx);
    const job = await getJob(tx, jobId, 'update');
    if (job.status === JOB.completed || job.status === JOB.previewed) return { jobId, status: job.status, moved: false, extractNumber: job.extractNumber };
    if (job.preview && job.status === JOB.running) {
      await finishPreview(tx, job);
      return { jobId, status: JOB.previewed, moved: true, extractNumber: job.extractNumber };
    }
    if (!canMove(JOB_MOVES.finalize, job.status)) {
      throw new ImportFailure('PRECONDITION_FAILED', `Import #${jobId} is ${job.status}; only a running import can be finalized.`);
    }
    const open = await unfinishedBatches(tx, jobId);
    if (open.open > 0) {
      throw new ImportFailure(
        'PRECONDITION_FAILED',
        `Import #${jobId} still has ${open.open} unfinished batch${open.open === 1 ? '' : 'es'}${open.failed ? ` (${open.failed} failed: retry them)` : ''}; process them before finalizing.`,
        open,
      );
    }
    const extract = job.extractNumber as number;
    const unsorted = await removeRepeats(tx, jobId, extract);
    // A FULL into empty tables wrote its enterprises named (prepare/step.ts), unless a
    // file was out of key order; then, and for the other modes, the names are refreshed here.
    const named = job.mode === 'initial' && !unsorted.some((t) => t === 'enterprises' || t === 'denominations');
    if (!named) {
      await refreshPrimaryNames(
        tx,
        job.mode === 'initial'
          ? tx`select enterprise_number as n from enterprises where extract_number = ${extract}`
          : job.mode === 'resync'
            ? // Only what the resync changed: a FULL stages every enterprise.
              tx`select enterprise_number as n from enterprises where extract_number = ${extract}
                 union
                 select entity_number from denominations where extract_number = ${extract} or deleted_at_extract = ${extract}`
            : tx`select enterprise_number as n from import_staging_enterprises where job_id = ${jobId}
                 union
                 select entity_number from import_staging_denominations where job_id = ${jobId}`,
      );
    }
    const totals = await batchTotals(tx, jobId);
    // Statistics only where the import changed enough for them to be stale (a tenth of a table).
    const changed = await staleTables(tx, jobId);
    await clearStaging(tx, jobId);
    await dropUpload(tx, job.source);
    await markCompleted(tx, jobId, totals, await analyzeTargets(tx, changed));
    await noticeOf(tx, jobId, { kind: 'completed' });
    // A FULL into an empty register lists no changes: it added the register itself.
    if (job.mode !== 'initial') await planChangeParts(tx, jobId, job.mode === 'resync', extract);
    return { jobId, status: JOB.completed, moved: true, extractNumber: extract };
  });
}


/**
 * A FULL copied straight into the final tables drops exact repeats as it reads, which finds
 * them all in a file sorted by key (as KBO files are). For a file that was not sorted, the
 * repeats are removed here, in SQL, and counted as duplicates like any other.
 */
async function removeRepeats(tx: Tx, jobId: number, extractNumber: number): Promise<string[]> {
  const unsorted = await unsortedDirectTables(tx, jobId);
  for (const table of unsorted) {
    const spec = tableSpec(table as DataTableName);
    const columns = spec.columns.map((c) => c.column);
    const t = ident(tx, table);
    const row = rowKey(tx, spec.key);
    const [r] = await tx<{ n: number }[]>`
      with repeats as (
        select ${row} from (
          select ${row}, row_number() over (partition by ${identList(tx, columns)} order by id) as rn
          from ${t} where extract_number = ${extractNumber}
        ) numbered where rn > 1
      ), removed as (delete from ${t} where (${row}) in (select ${row} from repeats) returning 1)
      select count(*)::int as n from removed`;
    const n = r?.n ?? 0;
    if (n > 0) await countRepeatsAsDuplicates(tx, jobId, table, n);
  }
  return unsorted;
}
