import { DATA_TABLES, tableSpec, type TableName } from '../../kbo/spec';
import type { Sql, Tx } from '../../db/client';
import { ident, probingKeys, rowKey, withoutJit } from '../../db/sql';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import { forgetChangesChunk } from '../sql/changes';
import { findJob, saveUndoProgress } from '../sql/jobs';
import { tryLockUndo } from '../sql/locks';
import { reclaimBatches } from '../state/batch-moves';
import { markUndone } from '../state/job-moves';
import { isUndoing, JOB } from '../state/machine';
import { dropUpload } from '../store/parts';
import { injectUndoDelay } from './faults';
import { restoreIndexes } from './indexes';
import { refreshPrimaryNames } from './primary-names';
import { clearStaging } from './staging';
import { noticeOf } from './notices';

/** Tables whose changes can move an enterprise's primary name, with the column naming it. */
const NAME_KEYS: Partial<Record<TableName, string>> = { enterprises: 'enterprise_number', denominations: 'entity_number' };
const UNDO_TABLES: readonly TableName[] = [...DATA_TABLES, 'codes'];

export interface UndoOutcome {
  table: TableName | null;
  removed: number;
  restored: number;
  /** The job reached `cancelled` or `rolled_back` in this step. */
  finished: boolean;
  durationMs: number;
}

/**
 * Undo is driven like batches: each call removes the rows the job inserted and restores the
 * rows it ended, a chunk at a time, until its time budget runs out. The job's rows are
 * found by its extract number (prepare refuses to apply one extract twice), so every step is
 * idempotent and an interrupted undo resumes where it stood. One driver undoes at a time.
 */
export async function undoSteps(sql: Sql, jobId: number, budgetMs: number): Promise<UndoOutcome[]> {
  const started = Date.now();
  const out: UndoOutcome[] = [];
  do {
    await injectUndoDelay(sql);
    const step = await undoStep(sql, jobId);
    if (!step) break;
    out.push(step);
    if (step.finished) break;
  } while (Date.now() - started < budgetMs);
  return out;
}

/** `undefined` when there is nothing to do here: the job is not undoing, or another driver holds it. */
async function undoStep(sql: Sql, jobId: number): Promise<UndoOutcome | undefined> {
  const started = Date.now();
  return sql.begin(async (tx) => {
    if (!(await tryLockUndo(tx, jobId))) return undefined;
    await withoutJit(tx);
    const job = await findJob(tx, jobId, 'update');
    if (!job || !isUndoing(job.status)) return undefined;
    const extract = job.extractNumber as number;

    // A batch still in flight holds its row until it commits, so this waits for it; batches
    // claimed but not started go back to pending, and their drivers find the lease gone.
    await reclaimBatches(tx, jobId);

    for (const table of UNDO_TABLES) {
      const removed = await undoChunk(tx, table, extract, 'remove');
      // A table's rows come back only once every row the job inserted there is gone: a key
      // it modified is never current twice (one-row tables keep a unique index on it).
      const restored = removed < env().IMPORT_UNDO_CHUNK_ROWS ? await undoChunk(tx, table, extract, 'restore') : 0;
      if (removed + restored === 0) continue;
      const undo = job.undo ?? { startedAt: new Date().toISOString(), planned: {}, removed: {}, restored: {} };
      undo.removed[table] = (undo.removed[table] ?? 0) + removed;
      undo.restored[table] = (undo.restored[table] ?? 0) + restored;
      await saveUndoProgress(tx, jobId, undo);
      return { table, removed, restored, finished: false, durationMs: Date.now() - started };
    }

    // A rolled-back import's change list, a chunk per step once its rows are undone.
    if (job.status === JOB.rolling_back) {
      const forgotten = await forgetChangesChunk(tx, jobId, env().IMPORT_UNDO_CHUNK_ROWS);
      if (forgotten > 0) return { table: null, removed: forgotten, restored: 0, finished: false, durationMs: Date.now() - started };
    }
    if (job.status === JOB.cancelling) {
      await clearStaging(tx, jobId);
      await dropUpload(tx, job.source);
    }
    // An undone FULL leaves the register empty: the indexes it deferred are built now.
    await restoreIndexes(tx, job);
    // A prepare that failed after it had copied rows undoes them as a cancel does, and stays `failed`.
    await markUndone(tx, jobId, Boolean(job.error));
    // A refused FULL that had copied rows fails only now, its rows undone.
    if (job.error) await noticeOf(tx, jobId, { kind: 'failed' });
    return { table: null, removed: 0, restored: 0, finished: true, durationMs: Date.now() - started };
  });
}

/**
 * Removes up to IMPORT_UNDO_CHUNK_ROWS rows the job inserted (`remove`), or makes current again up to
 * that many rows it ended (`restore`); then recomputes the primary names those rows touch.
 */
async function undoChunk(tx: Tx, table: TableName, extractNumber: number, what: 'remove' | 'restore'): Promise<number> {
  const t = ident(tx, table);
  const row = rowKey(tx, table === 'codes' ? null : tableSpec(table).key);
  const nameKey = NAME_KEYS[table];
  const key = nameKey ? tx`${ident(tx, nameKey)}` : tx`null::text`;
  const rows = await probingKeys(tx, () =>
    what === 'remove'
      ? tx<{ n: string | null }[]>`
          delete from ${t} where (${row}) in (select ${row} from ${t} where extract_number = ${extractNumber} limit ${env().IMPORT_UNDO_CHUNK_ROWS})
          returning ${key} as n`
      : tx<{ n: string | null }[]>`
          update ${t} set is_current = true, deleted_at_extract = null
          where (${row}) in (select ${row} from ${t} where deleted_at_extract = ${extractNumber} limit ${env().IMPORT_UNDO_CHUNK_ROWS})
          returning ${key} as n`.catch((err: unknown) => {
          throw doubleRevival(err, table, extractNumber);
        }),
  );
  if (nameKey && rows.length > 0) {
    const numbers = [...new Set(rows.map((r) => r.n as string))];
    await refreshPrimaryNames(tx, tx`select unnest(${numbers}::text[]) as n`);
  }
  return rows.length;
}

/** A unique violation while restoring rows: another row of the key became current meanwhile. */
function doubleRevival(err: unknown, table: TableName, extractNumber: number): unknown {
  const e = err as { code?: string; detail?: string };
  if (e.code !== '23505') return err;
  return new ImportFailure(
    'CONFLICT',
    `Undoing extract ${extractNumber} would make a row of ${table} current again while another row of the same key is current (${e.detail ?? 'unique index on the current key'}); nothing was changed. End the other row, then resume.`,
  );
}
