import type { Sql } from '../../db/client';
import { ImportFailure } from '../../errors';
import { ensureChangeList, getJob, JOB } from '../../imports';
import { KBO_TABLES, type DataTableName } from '../../kbo/spec';
import { checkChangeFilter, type Change, type ChangeFilter, type EntityChange } from '../query/change-filter';
import { changeCounts, changeCursor, changePage, rowsInserted } from '../sql/changes';
import { extractHeld } from '../sql/history';

export interface ChangePage {
  job: { id: number; extractNumber: number | null; mode: string | null; status: string };
  /**
   * The extract the register held just before this import (the latest one imported before
   * it, not N − 1, which may never have been imported): `asOf` it shows an entity as it was
   * before the import. Null when nothing was imported before it.
   */
  before: number | null;
  /**
   * A FULL loaded into an empty register added every row it had: its change list would be the
   * register itself, so it is not listed; these are the rows it loaded per table instead (what
   * the register holds, as the progress counts them), beside the rows its file held (more when
   * the file repeats a row: one is kept).
   */
  loaded: { table: DataTableName; rows: number; fileRows: number }[] | null;
  /**
   * Per table, how many entities each kind of change touched (whatever the filter), and how
   * many the import re-issued unchanged: it ended rows and started them again as they were, so
   * they are not listed, but the import's row counts include them.
   */
  summary: { table: DataTableName; added: number; ended: number; modified: number; reissued: number }[];
  changes: EntityChange[];
  page: number;
  pageSize: number;
  hasMore: boolean;
  /**
   * The list is worked out once, in parts, after the import completes (the step calls do it:
   * the import's page, the CLI, the cron): until then, how far it has come, and no rows.
   */
  computing: { done: number; total: number } | null;
}

export const CHANGES_PAGE_SIZE = 50;

/**
 * What one import changed in the register: per table, the entities it added, ended and
 * modified, a page at a time in table and number order, with counts per table. For a
 * resync this is its drift. A FULL loaded into an empty register added everything: its list
 * is the register itself. Read from the list worked out once the import completed (in parts,
 * so a page costs the same whatever its size); an import that is not completed (rolled back,
 * failed, under way) lists nothing.
 */
export async function importChanges(sql: Sql, jobId: number, raw: ChangeFilter = {}): Promise<ChangePage> {
  const f = checkChangeFilter(raw);
  const job = await getJob(sql, jobId);
  const head = { id: job.id, extractNumber: job.extractNumber, mode: job.mode, status: job.status };
  const n = job.extractNumber;
  const empty = { job: head, before: null, loaded: null, summary: [], changes: [], page: f.page, pageSize: CHANGES_PAGE_SIZE, hasMore: false, computing: null };
  if (n === null || !holdsItsRows(job)) return empty;
  if (job.mode === 'initial') return { ...empty, loaded: loadedRows(job.counts, await rowsInserted(sql, job.id)) };
  const [progress, held] = await Promise.all([ensureChangeList(sql, job), extractHeld(sql, n - 1)]);
  const before = held?.extractNumber ?? null;
  if (progress.done < progress.total) return { ...empty, before, computing: { done: progress.done, total: progress.total } };
  const offset = (f.page - 1) * CHANGES_PAGE_SIZE;
  const [summary, rows] = await Promise.all([changeCounts(sql, jobId, f.number), changePage(sql, jobId, f, offset, CHANGES_PAGE_SIZE)]);
  return {
    job: head,
    before,
    loaded: null,
    summary: KBO_TABLES.map((t) => {
      const of = (c: Change) => summary.find((s) => s.t === t.table && s.change === c)?.entities ?? 0;
      return { table: t.table, added: of('added'), ended: of('ended'), modified: of('modified'), reissued: f.number ? 0 : (progress.reissued[t.table] ?? 0) };
    }),
    changes: rows.slice(0, CHANGES_PAGE_SIZE).map((r) => ({ table: r.t, number: r.n, change: r.change, started: r.started, ended: r.ended })),
    page: f.page,
    pageSize: CHANGES_PAGE_SIZE,
    hasMore: rows.length > CHANGES_PAGE_SIZE,
    computing: null,
  };
}

/**
 * The whole change list of an import as CSV lines (header first), read with a cursor so the
 * list of a large import never sits in memory at once.
 */
export async function* importChangesCsv(sql: Sql, jobId: number, raw: ChangeFilter = {}): AsyncGenerator<string> {
  const f = checkChangeFilter(raw);
  const job = await getJob(sql, jobId);
  if (job.mode === 'initial') {
    throw new ImportFailure('PRECONDITION_FAILED', `Import #${job.id} loaded a FULL into an empty register: it added every row, so its change list is the register itself. Search the register instead.`);
  }
  if (job.extractNumber !== null && holdsItsRows(job)) {
    const progress = await ensureChangeList(sql, job);
    if (progress.done < progress.total) {
      throw new ImportFailure(
        'PRECONDITION_FAILED',
        `Import #${job.id}'s change list is still being worked out (${progress.done} of ${progress.total} parts); open the import's page (or run npm run import -- --job ${job.id}) and ask again once it is done.`,
        progress,
      );
    }
  }
  yield 'table,entity_number,change,rows_started,rows_ended\n';
  if (job.extractNumber === null || !holdsItsRows(job)) return;
  const cursor = changeCursor(sql, jobId, f, 2000);
  for await (const rows of cursor) {
    // Numbers and table names only: no cell can start a formula.
    yield rows.map((r) => `${r.t},${r.n},${r.change},${r.started},${r.ended}\n`).join('');
  }
}

/**
 * Rows name their extract, not their job: only the completed job holds extract N's rows (an
 * extract is applied once at a time; one rolled back, failed or still running has none of its
 * own). A preview worked out to the end holds what it would change (lib/imports/jobs/preview.ts).
 */
function holdsItsRows(job: { status: string }): boolean {
  return job.status === JOB.completed || job.status === JOB.previewed;
}

/** Rows per register table: inserted by the batches, and read from its CSV file (a job's counts' `files`). */
function loadedRows(counts: Record<string, unknown>, inserted: Record<string, number>): { table: DataTableName; rows: number; fileRows: number }[] {
  const files = (counts.files ?? {}) as Record<string, number>;
  return KBO_TABLES.map((t) => ({ table: t.table, rows: inserted[t.table] ?? 0, fileRows: Number(files[`${t.file}.csv`] ?? 0) }));
}
