import type { Sql } from '../../db/client';
import type { DataTableName } from '../../kbo/spec';
import type { Change } from '../query/change-filter';

/**
 * The statements that read an import's change list, as its parts wrote it into
 * import_changes (lib/imports/jobs/change-list.ts): a page, the counts, the whole list by cursor.
 */

export interface ChangeRow {
  t: DataTableName;
  n: string;
  change: Change;
  started: number;
  ended: number;
}

/** Per register table, the rows an import's batches inserted. */
export async function rowsInserted(sql: Sql, jobId: number): Promise<Record<string, number>> {
  const rows = await sql<{ t: string; n: number }[]>`
    select table_name as t, coalesce(sum(rows_inserted), 0)::int as n from import_job_batches where job_id = ${jobId} group by table_name`;
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

type Filter = { table?: string; change?: string; number?: string };

function kept(sql: Sql, jobId: number, f: Filter) {
  return sql`
    where job_id = ${jobId}
      and (${f.table ?? null}::text is null or t = ${f.table ?? null})
      and (${f.change ?? null}::text is null or change = ${f.change ?? null})
      and (${f.number ?? null}::text is null or n = ${f.number ?? null})`;
}

/** The entities per table and kind of change (the number filter only: the counts are what the table and change filters choose from). */
export async function changeCounts(sql: Sql, jobId: number, number: string | undefined): Promise<{ t: DataTableName; change: Change; entities: number }[]> {
  return sql<{ t: DataTableName; change: Change; entities: number }[]>`
    select t, change, count(*)::int as entities from import_changes ${kept(sql, jobId, { number })} group by t, change`;
}

/** One page of the list the filter keeps, in table order and by number (one row more than `limit`: is there a next page?). */
export async function changePage(sql: Sql, jobId: number, f: Filter, offset: number, limit: number): Promise<ChangeRow[]> {
  return sql<ChangeRow[]>`
    select t, n, change, started, ended from import_changes ${kept(sql, jobId, f)}
    order by o, n offset ${offset} limit ${limit + 1}`;
}

/** The whole list the filter keeps, read with a cursor, `size` rows at a time. */
export function changeCursor(sql: Sql, jobId: number, f: Filter, size: number): AsyncIterable<ChangeRow[]> {
  return sql<ChangeRow[]>`select t, n, change, started, ended from import_changes ${kept(sql, jobId, f)} order by o, n`.cursor(size);
}
