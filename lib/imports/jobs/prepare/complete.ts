import { filesFor, type ColumnSpec, type FilePlan } from '../../../kbo/spec';
import type { Sql, Tx } from '../../../db/client';
import { ImportFailure } from '../../../errors';
import type { RowError } from '../../read/rows';
import { batchesPerTable, countBatches, deleteBatches, undoPlan } from '../../sql/batches';
import { firstRowErrors, keepRowErrors } from '../../sql/errors';
import { filesOf } from '../../sql/files';
import { findJob, type JobRow } from '../../sql/jobs';
import { markPrepared, markRefused, markRefusedAfterCopy } from '../../state/job-moves';
import { restoreIndexes } from '../indexes';
import { BATCH, JOB } from '../../state/machine';
import { dropUpload } from '../../store/parts';
import { clearStaging } from '../staging';
import { analyzeStaging, currentKeys, ONE_ROW_TABLES, readUnsorted, repeatedKeys, unstageRejected } from '../../sql/keys';
import { currentKey, repeatedKey } from '../../read/keys';
import { extractVerdict, refusal, takeRowErrors } from './policy';
import { withoutJit } from '../../../db/sql';
import { noticeOf } from '../notices';

/** How prepare ends: the verdict over the whole extract and the move to `running`, or the refusal. */

/**
 * Once every file is read: the rejected-rows verdict over the whole extract, then the job
 * goes to `running` (its batches become claimable). Exactly one caller gets `true`.
 */
export async function completePrepare(sql: Sql, jobId: number): Promise<boolean> {
  try {
    return await sql.begin(async (tx) => {
      await withoutJit(tx);
      const job = await findJob(tx, jobId, 'update');
      if (job?.status !== JOB.preparing) return false;
      if ((await filesOf(tx, jobId)).some((f) => !f.done)) return false;
      const conflicts = await rejectKeyConflicts(tx, job);
      const files = await filesOf(tx, jobId);
      const rows = files.reduce((s, f) => s + f.rows + f.duplicates, 0);
      const rejected = files.reduce((s, f) => s + f.rejected, 0);
      const verdict = extractVerdict({ onError: job.onError, maxRejected: job.maxRejected, maxRejectedPercent: job.maxRejectedPercent }, rejected, rows);
      if (verdict) {
        const first = await firstRowErrors(tx, jobId, 20);
        // The refusal rolls this transaction back: failPrepare keeps the conflicts found in it.
        throw refusal(jobId, verdict, first[0] ?? ({ message: '' } as RowError), rejected, first, conflicts);
      }
      // Planned from the zip's sizes (UPDATE), cut while reading (resync) or one per step (direct).
      const perTable: Record<string, number> = {};
      for (const f of files) perTable[f.table_name] = Math.max(perTable[f.table_name] ?? 0, f.batches);
      for (const m of await batchesPerTable(tx, jobId)) perTable[m.table_name] = Math.max(perTable[m.table_name] ?? 0, m.n);
      const counts = { files: Object.fromEntries(files.map((f) => [f.name, f.rows + f.duplicates])), batchesPerTable: perTable, rejected };
      return markPrepared(tx, jobId, counts);
    });
  } catch (err) {
    if (!(err instanceof ImportFailure) || err.code !== 'VALIDATION') throw err;
    await failPrepare(sql, jobId, err);
    return true;
  }
}

/**
 * The one-current-row rule over what was staged, before any batch can run: an UPDATE's
 * inserts of a key current in the register that it does not end, and (files read out of key
 * order; sorted ones were checked as they were read) a key listed twice with other values.
 * Those rows are rejected like any bad row, so the verdict that follows counts them.
 */
async function rejectKeyConflicts(tx: Tx, job: JobRow): Promise<RowError[]> {
  if (job.mode === 'initial') return []; // copied straight in, checked as each chunk was copied
  const operation = job.mode === 'resync' ? 'resync' : 'insert';
  const errors: RowError[] = [];
  // Fresh statistics of what was just staged first: planned on an empty table's, the checks
  // below join staging to itself row by row (a busy UPDATE's took 318 s instead of 0.1 s).
  await analyzeStaging(tx, ONE_ROW_TABLES);
  for (const spec of ONE_ROW_TABLES) {
    const plan = filesFor(job.extractType as 'full' | 'update').find((p) => p.table === spec.table && p.operation === 'insert') as FilePlan;
    const keyColumn = spec.columns[0] as ColumnSpec;
    const repeated = (await readUnsorted(tx, job.id, spec.table, operation)) ? await repeatedKeys(tx, job.id, spec, operation) : [];
    await unstageRejected(tx, job.id, spec, operation, repeated);
    errors.push(...repeated.map((r) => repeatedKey(plan.name, keyColumn, r.key, r.line)));
    if (operation !== 'insert') continue;
    const current = await currentKeys(tx, job.id, spec);
    await unstageRejected(tx, job.id, spec, operation, current);
    errors.push(...current.map((r) => currentKey(plan.name, keyColumn, r.key, r.line, `${spec.file}_delete.csv`)));
  }
  await keepRowErrors(tx, job.id, errors);
  return errors;
}

/**
 * A prepare that cannot go on: record why (and the bad rows) and leave the register as it
 * was. Staged rows are simply dropped; rows a FULL already copied into the final tables are
 * removed by undo steps (the job passes through `cancelling`, and ends `failed`).
 */
export async function failPrepare(sql: Sql, jobId: number, failure: ImportFailure): Promise<void> {
  const rowErrors = takeRowErrors(failure);
  await sql.begin(async (tx) => {
    const job = await findJob(tx, jobId, 'update');
    if (job?.status !== JOB.preparing) return;
    await keepRowErrors(tx, jobId, rowErrors);
    const error = { code: failure.code, message: failure.message };
    if ((await countBatches(tx, jobId, BATCH.completed)) > 0) {
      await markRefusedAfterCopy(tx, jobId, await undoPlan(tx, jobId), error);
    } else {
      await clearStaging(tx, jobId);
      // Batches staged by earlier steps will never run.
      await deleteBatches(tx, jobId);
      await dropUpload(tx, job.source);
      // Nothing was copied: the indexes a FULL deferred come back on its empty tables.
      await restoreIndexes(tx, job);
      await markRefused(tx, jobId, error);
      await noticeOf(tx, jobId, { kind: 'failed' });
    }
  });
}
