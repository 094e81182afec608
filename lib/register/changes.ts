import { KBO_TABLES, type DataTableName } from '../kbo/spec';
import type { Sql } from '../db/client';
import { ident, type Fragment } from '../db/sql';
import { ImportFailure } from '../errors';
import { getJob, JOB } from '../imports';
import { netMoves, rowContent } from './moves';
import { parseRegisterNumber } from './number';

export const CHANGES = ['added', 'ended', 'modified'] as const;
export type Change = (typeof CHANGES)[number];

/** One entity's rows in one table, changed by one import. */
export interface EntityChange {
  table: DataTableName;
  number: string;
  /** added: it had no rows in this table before; ended: none after; modified: some before and after, not the same. */
  change: Change;
  started: number;
  ended: number;
}

export interface ChangeFilter {
  table?: string;
  change?: string;
  /** An entity number in any common form. */
  number?: string;
  page?: number;
}

export interface ChangePage {
  job: { id: number; extractNumber: number | null; mode: string | null; status: string };
  /** The extract just before this one: `asOf` it shows an entity as it was before the import. */
  before: number | null;
  /**
   * A FULL loaded into an empty register added every row it had: its change list would be the
   * register itself, so it is not listed; these are the rows it loaded per table instead.
   */
  loaded: { table: DataTableName; rows: number }[] | null;
  /** Per table, how many entities each kind of change touched (whatever the filter). */
  summary: { table: DataTableName; added: number; ended: number; modified: number }[];
  changes: EntityChange[];
  page: number;
  pageSize: number;
  hasMore: boolean;
}

export const CHANGES_PAGE_SIZE = 50;

/** A filter from URL parameters (the API's and the page's). Pure. */
export function changeFilterOf(params: URLSearchParams): ChangeFilter {
  const page = params.get('page');
  if (page !== null && page !== '' && !/^\d{1,6}$/.test(page)) throw new ImportFailure('VALIDATION', 'page must be a whole number from 1.');
  const get = (name: string) => params.get(name) ?? undefined;
  return { table: get('table'), change: get('change'), number: get('number'), page: page ? Number(page) : undefined };
}

/** The filter, checked: a known table and change kind, a valid number, a page from 1. */
export function checkChangeFilter(f: ChangeFilter): { table?: DataTableName; change?: Change; number?: string; page: number } {
  const tables = KBO_TABLES.map((t) => t.table) as string[];
  const table = f.table || undefined;
  const change = f.change || undefined;
  if (table !== undefined && !tables.includes(table)) throw new ImportFailure('VALIDATION', `table must be one of ${tables.join(', ')}.`);
  if (change !== undefined && !(CHANGES as readonly string[]).includes(change)) throw new ImportFailure('VALIDATION', `change must be one of ${CHANGES.join(', ')}.`);
  let number: string | undefined;
  if (f.number?.trim()) {
    const parsed = parseRegisterNumber(f.number);
    if (!parsed.ok) throw new ImportFailure('VALIDATION', parsed.message);
    number = parsed.number;
  }
  const page = f.page ?? 1;
  if (!Number.isInteger(page) || page < 1 || page > 100_000) throw new ImportFailure('VALIDATION', 'page must be a whole number from 1.');
  return { table: table as DataTableName | undefined, change: change as Change | undefined, number, page };
}

/**
 * Per entity of one table, what import N did to its rows: the rows it started and ended,
 * less the ones it ended and started again unchanged (an UPDATE re-issues every row of a key
 * it touches), and whether the entity kept other rows across N. From the history columns:
 * `extract_number = N` and `deleted_at_extract = N` (their indexes), then one probe per
 * entity for rows that lived through N.
 */
function changesOf(sql: Sql, table: (typeof KBO_TABLES)[number], n: number, number: string | undefined): Fragment {
  const t = ident(sql, table.table);
  const key = ident(sql, table.key);
  const content = rowContent(sql, table.table);
  const only = number === undefined ? sql`` : sql`and ${key} = ${number}`;
  return sql`
    select ${table.table}::text as t, k.n, k.started, k.ended,
           (k.reissued > 0 or exists (
              select 1 from ${t} u where u.${key} = k.n and u.is_current and u.extract_number < ${n})
            or exists (
              select 1 from ${t} u where u.${key} = k.n and not u.is_current and u.extract_number < ${n} and u.deleted_at_extract > ${n})) as kept
    from (${netMoves(
      sql,
      sql`select ${key} as n, ${content} as h, 1 as s, 0 as e from ${t} where extract_number = ${n} ${only}
          union all
          select ${key}, ${content}, 0, 1 from ${t} where deleted_at_extract = ${n} ${only}`,
      ['n'],
    )}) k
    where k.started > 0 or k.ended > 0`;
}

/** Every changed (table, entity) of extract `n`, classified; `where` narrows (a fragment on t, n, change). */
function classified(sql: Sql, n: number, number: string | undefined, tables: readonly (typeof KBO_TABLES)[number][]): Fragment {
  const union = tables.map((table) => changesOf(sql, table, n, number)).reduce((a, b) => sql`${a} union all ${b}`);
  return sql`
    select t, n, started, ended,
           case when not kept and ended = 0 then 'added' when not kept and started = 0 then 'ended' else 'modified' end as change
    from (${union}) c`;
}

/**
 * What one import changed in the register: per table, the entities it added, ended and
 * modified, a page at a time in table and number order, with counts per table. For a
 * resync this is its drift. A FULL loaded into an empty register added everything: its list
 * is the register itself. Read from the rows as they are now; an import that is not completed
 * (rolled back, failed, under way) lists nothing.
 */
export async function importChanges(sql: Sql, jobId: number, raw: ChangeFilter = {}): Promise<ChangePage> {
  const f = checkChangeFilter(raw);
  const job = await getJob(sql, jobId);
  const head = { id: job.id, extractNumber: job.extractNumber, mode: job.mode, status: job.status };
  const n = job.extractNumber;
  const empty = { job: head, before: null, loaded: null, summary: [], changes: [], page: f.page, pageSize: CHANGES_PAGE_SIZE, hasMore: false };
  if (n === null || !holdsItsRows(job)) return empty;
  if (job.mode === 'initial') return { ...empty, loaded: loadedRows(job.counts) };
  const offset = (f.page - 1) * CHANGES_PAGE_SIZE;
  // One pass over the import's rows: the counts (whatever the table and change filters) and the page.
  const [result] = await sql<{ summary: { t: DataTableName; change: Change; entities: number }[] | null; rows: { t: DataTableName; n: string; change: Change; started: number; ended: number }[] | null }[]>`
    with c as materialized (${classified(sql, n, f.number, KBO_TABLES)})
    select
      (select json_agg(s) from (select t, change, count(*)::int as entities from c group by t, change) s) as summary,
      (select json_agg(p order by p.o, p.n) from (${listed(sql, sql`select * from c`, f)} offset ${offset} limit ${CHANGES_PAGE_SIZE + 1}) p) as rows`;
  const summary = result?.summary ?? [];
  const rows = result?.rows ?? [];
  return {
    job: head,
    before: n - 1,
    loaded: null,
    summary: KBO_TABLES.map((t) => {
      const of = (c: Change) => summary.find((s) => s.t === t.table && s.change === c)?.entities ?? 0;
      return { table: t.table, added: of('added'), ended: of('ended'), modified: of('modified') };
    }),
    changes: rows.slice(0, CHANGES_PAGE_SIZE).map((r) => ({ table: r.t, number: r.n, change: r.change, started: r.started, ended: r.ended })),
    page: f.page,
    pageSize: CHANGES_PAGE_SIZE,
    hasMore: rows.length > CHANGES_PAGE_SIZE,
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
  yield 'table,entity_number,change,rows_started,rows_ended\n';
  if (job.extractNumber === null || !holdsItsRows(job)) return;
  const tables = KBO_TABLES.filter((t) => f.table === undefined || t.table === f.table);
  const cursor = sql<{ t: string; n: string; change: string; started: number; ended: number }[]>`
    ${listed(sql, classified(sql, job.extractNumber, f.number, tables), f)}`.cursor(2000);
  for await (const rows of cursor) {
    // Numbers and table names only: no cell can start a formula.
    yield rows.map((r) => `${r.t},${r.n},${r.change},${r.started},${r.ended}\n`).join('');
  }
}

/**
 * Rows name their extract, not their job: only the completed job holds extract N's rows (an
 * extract is applied once at a time; one rolled back, failed or still running has none of its own).
 */
function holdsItsRows(job: { status: string }): boolean {
  return job.status === JOB.completed;
}

/** The classified changes of `source` the filter keeps, in table order (`o`), then by number. */
function listed(sql: Sql, source: Fragment, f: { table?: string; change?: string }): Fragment {
  return sql`
    select t, n, change, started, ended, array_position(${KBO_TABLES.map((t) => t.table)}::text[], t) as o from (${source}) c
    where (${f.table ?? null}::text is null or t = ${f.table ?? null})
      and (${f.change ?? null}::text is null or change = ${f.change ?? null})
    order by o, n`;
}

/** Rows per register table from a job's counts (`files`: rows read per CSV file). */
function loadedRows(counts: Record<string, unknown>): { table: DataTableName; rows: number }[] {
  const files = (counts.files ?? {}) as Record<string, number>;
  return KBO_TABLES.map((t) => ({ table: t.table, rows: Number(files[`${t.file}.csv`] ?? 0) }));
}
