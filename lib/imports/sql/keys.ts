import { KBO_TABLES, type TableSpec } from '../../kbo/spec';
import type { Tx, Queryable } from '../../db/client';
import { ident, identList, join, sameRow } from '../../db/sql';

/**
 * The queries behind the one-current-row rule (enterprises, establishments and branches hold
 * one current row per key; a unique index enforces it): the rows of a file that would break
 * it, found while a job prepares, before anything is applied.
 */

export const ONE_ROW_TABLES: readonly TableSpec[] = KBO_TABLES.filter((t) => t.oneRowPerKey);

const columnsOf = (spec: TableSpec) => spec.columns.map((c) => c.column);

/** ANALYZE of the staging tables of `specs` (a sample of their rows, bounded whatever their size). */
export async function analyzeStaging(tx: Tx, specs: readonly TableSpec[]): Promise<void> {
  for (const spec of specs) await tx`analyze ${ident(tx, spec.staging)}`;
}

/** A staged row that would make its key current twice. */
export interface KeyConflict {
  line: number;
  key: string;
  batch: number;
}

/**
 * For rows about to be copied into `spec`'s table: which keys are current there already, and
 * whether with exactly these values (true) or others (false). Keys absent are not current.
 */
export async function currentMatches(sql: Queryable, spec: TableSpec, rows: (string | null)[][]): Promise<Map<string, boolean>> {
  if (!rows.length) return new Map();
  const names = spec.columns.map((_, i) => `v${i}`);
  const arrays = join(
    sql,
    spec.columns.map((_, i) => sql`${rows.map((r) => r[i] ?? null)}::text[]`),
    ',',
  );
  const same = join(
    sql,
    spec.columns.map((c, i) =>
      c.kind === 'date'
        ? sql`t.${ident(sql, c.column)} is not distinct from x.${ident(sql, names[i] as string)}::date`
        : sql`t.${ident(sql, c.column)} is not distinct from x.${ident(sql, names[i] as string)}`,
    ),
    'and',
  );
  const found = await sql<{ k: string; same: boolean }[]>`
    select x.v0 as k, (${same}) as same
    from unnest(${arrays}) as x(${identList(sql, names)})
    join ${ident(sql, spec.table)} t on t.${ident(sql, spec.key)} = x.v0 and t.is_current`;
  return new Map(found.map((r) => [r.k, r.same]));
}

/**
 * Staged rows (`operation`: an UPDATE's inserts, or a resync's FULL) of a key the same file
 * lists on an earlier line with other values: every row but the key's first and its exact
 * repeats. For files out of key order; a sorted file's repeats are rejected as it is read.
 */
export async function repeatedKeys(sql: Queryable, jobId: number, spec: TableSpec, operation: 'insert' | 'resync'): Promise<KeyConflict[]> {
  const key = ident(sql, spec.key);
  return sql<KeyConflict[]>`
    with s as (
      select line, batch_number, ${identList(sql, spec.columns.map((c) => c.column))},
             row_number() over (partition by ${key} order by line) as rn
      from ${ident(sql, spec.staging)} where job_id = ${jobId} and operation = ${operation}
    )
    select s.line, s.${key} as key, s.batch_number as batch
    from s join s f on f.${key} = s.${key} and f.rn = 1
    where s.rn > 1 and not (${sameRow(sql, columnsOf(spec), [], 's', 'f')})
    order by s.line`;
}

/**
 * An UPDATE's staged inserts of a key that is current in the register with other values and
 * that the same extract's delete file does not end (a modification lists the key in both).
 */
export async function currentKeys(sql: Queryable, jobId: number, spec: TableSpec): Promise<KeyConflict[]> {
  const key = ident(sql, spec.key);
  const staging = ident(sql, spec.staging);
  return sql<KeyConflict[]>`
    select s.line, s.${key} as key, s.batch_number as batch
    from ${staging} s
    join ${ident(sql, spec.table)} t on t.${key} = s.${key} and t.is_current
    where s.job_id = ${jobId} and s.operation = 'insert'
      and not exists (select 1 from ${staging} d where d.job_id = ${jobId} and d.operation = 'delete' and d.${key} = s.${key})
      and not (${sameRow(sql, columnsOf(spec), [], 't', 's')})
    order by s.line`;
}

/**
 * Takes rejected rows out of staging, and out of their batches' and file's row counts (a
 * batch checks that it finds as many rows as it recorded); the file counts them as rejected.
 */
export async function unstageRejected(tx: Tx, jobId: number, spec: TableSpec, operation: 'insert' | 'resync', rows: KeyConflict[]): Promise<void> {
  if (!rows.length) return;
  await tx`
    delete from ${ident(tx, spec.staging)}
    where job_id = ${jobId} and operation = ${operation} and line = any(${rows.map((r) => r.line)}::int[])`;
  const perBatch = new Map<number, number>();
  for (const r of rows) perBatch.set(r.batch, (perBatch.get(r.batch) ?? 0) + 1);
  await tx`
    update import_job_batches b set row_count = b.row_count - u.n
    from unnest(${[...perBatch.keys()]}::int[], ${[...perBatch.values()]}::int[]) as u(batch, n)
    where b.job_id = ${jobId} and b.table_name = ${spec.table} and b.operation = ${operation} and b.batch_number = u.batch`;
  await tx`
    update import_job_files set rows = rows - ${rows.length}, rejected = rejected + ${rows.length}
    where job_id = ${jobId} and table_name = ${spec.table} and operation = ${operation}`;
}

/** Whether a job's file of this table and operation was read out of key order. */
export async function readUnsorted(sql: Queryable, jobId: number, table: string, operation: string): Promise<boolean> {
  const [r] = await sql<{ n: number }[]>`
    select count(*)::int as n from import_job_files where job_id = ${jobId} and table_name = ${table} and operation = ${operation} and not sorted`;
  return (r?.n ?? 0) > 0;
}

/**
 * Rows an undo of extract `extractNumber` would make current again while another row of the
 * same key, which that extract did not insert, is current: the undo would make the key
 * current twice. The first `limit` of them, over the one-row tables.
 */
export async function revivalConflicts(sql: Queryable, extractNumber: number, limit = 20): Promise<{ table: string; key: string; since: number }[]> {
  const out: { table: string; key: string; since: number }[] = [];
  for (const spec of ONE_ROW_TABLES) {
    const key = ident(sql, spec.key);
    const t = ident(sql, spec.table);
    const rows = await sql<{ key: string; since: number }[]>`
      select e.${key} as key, c.extract_number as since
      from ${t} e join ${t} c on c.${key} = e.${key} and c.is_current and c.extract_number <> ${extractNumber}
      where e.deleted_at_extract = ${extractNumber}
      order by 1 limit ${limit}`;
    out.push(...rows.map((r) => ({ table: spec.table, ...r })));
  }
  return out.slice(0, limit);
}
