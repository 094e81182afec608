import type { Sql } from '../../db/client';
import { ident, unionAll } from '../../db/sql';
import { JOB } from '../../imports';
import type { DataTableName } from '../../kbo/spec';
import { netMoves, rowContent } from '../../imports';

/** The statements of an entity's history: every move of its rows, and the imports that made them. */

export interface MovesPerExtract {
  /** The table. */
  t: string;
  /** The extract that started or ended the rows. */
  x: number;
  started: number;
  ended: number;
  reissued: number;
}

/**
 * Every row an entity has or had in `tables` (each with the column that names it), as moves:
 * started by one extract, ended by another; netted per table and extract (a row ended and
 * started again unchanged is `reissued`). Current rows by the current-row index, ended ones
 * by the primary key, which leads with the number.
 */
export async function entityMoves(sql: Sql, number: string, tables: [table: DataTableName, key: string][]): Promise<MovesPerExtract[]> {
  const moved = unionAll(
    sql,
    tables.map(([table, key]) => {
      const content = rowContent(sql, table);
      const rows = sql`
        select extract_number, deleted_at_extract, ${content} as h from ${ident(sql, table)} where ${ident(sql, key)} = ${number} and is_current
        union all
        select extract_number, deleted_at_extract, ${content} from ${ident(sql, table)} where ${ident(sql, key)} = ${number} and not is_current`;
      return sql`
        select ${table}::text as t, extract_number as x, h, 1 as s, 0 as e from (${rows}) r
        union all
        select ${table}::text, deleted_at_extract, h, 0, 1 from (${rows}) r where deleted_at_extract is not null`;
    }),
  );
  return sql<MovesPerExtract[]>`${netMoves(sql, moved, ['t', 'x'])}`;
}

export interface ApplyingJob {
  extractNumber: number;
  id: number;
  snapshotDate: string | null;
  extractType: string | null;
}

/** The completed import of each extract (one at most: jobs/sequence.ts; rolled-back imports left no rows). */
export async function jobsThatApplied(sql: Sql, extracts: number[]): Promise<ApplyingJob[]> {
  return sql<ApplyingJob[]>`
    select distinct on (extract_number) extract_number as "extractNumber", id, snapshot_date as "snapshotDate", extract_type as "extractType"
    from import_jobs
    where extract_number = any(${extracts}::int[]) and status = ${JOB.completed} order by extract_number, id desc`;
}

/** The extract the register held just after extract `n`: the latest one a completed import brought in, at or before `n` (null: none). */
export async function extractHeld(sql: Sql, n: number): Promise<ApplyingJob | null> {
  const [r] = await sql<ApplyingJob[]>`
    select extract_number as "extractNumber", id, snapshot_date as "snapshotDate", extract_type as "extractType"
    from import_jobs
    where extract_number <= ${n} and status = ${JOB.completed} order by extract_number desc, id desc limit 1`;
  return r ?? null;
}
