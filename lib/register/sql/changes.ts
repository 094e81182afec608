import type { Sql } from '../../db/client';
import { ident, type Fragment } from '../../db/sql';
import { KBO_TABLES, type DataTableName } from '../../kbo/spec';
import type { Change } from '../query/change-filter';
import { netMoves, rowContent } from './moves';

/** The statements of an import's change list: what it did per entity, classified, a page or a cursor. */

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

/** The classified changes of `source` the filter keeps, in table order (`o`), then by number. */
function listed(sql: Sql, source: Fragment, f: { table?: string; change?: string }): Fragment {
  return sql`
    select t, n, change, started, ended, array_position(${KBO_TABLES.map((t) => t.table)}::text[], t) as o from (${source}) c
    where (${f.table ?? null}::text is null or t = ${f.table ?? null})
      and (${f.change ?? null}::text is null or change = ${f.change ?? null})
    order by o, n`;
}

export interface ChangeRow {
  t: DataTableName;
  n: string;
  change: Change;
  started: number;
  ended: number;
}

/**
 * One pass over import N's rows: the entities per table and kind of change (whatever the
 * table and change filters), and one page of the list the filter keeps (one row more than
 * `limit`: is there a next page?).
 */
export async function changePage(
  sql: Sql,
  n: number,
  f: { table?: string; change?: string; number?: string },
  offset: number,
  limit: number,
): Promise<{ summary: { t: DataTableName; change: Change; entities: number }[]; rows: ChangeRow[] }> {
  const [result] = await sql<{ summary: { t: DataTableName; change: Change; entities: number }[] | null; rows: ChangeRow[] | null }[]>`
    with c as materialized (${classified(sql, n, f.number, KBO_TABLES)})
    select
      (select json_agg(s) from (select t, change, count(*)::int as entities from c group by t, change) s) as summary,
      (select json_agg(p order by p.o, p.n) from (${listed(sql, sql`select * from c`, f)} offset ${offset} limit ${limit + 1}) p) as rows`;
  return { summary: result?.summary ?? [], rows: result?.rows ?? [] };
}

/** The whole list the filter keeps, read with a cursor, `size` rows at a time. */
export function changeCursor(sql: Sql, n: number, f: { table?: string; change?: string; number?: string }, size: number): AsyncIterable<ChangeRow[]> {
  const tables = KBO_TABLES.filter((t) => f.table === undefined || t.table === f.table);
  return sql<ChangeRow[]>`${listed(sql, classified(sql, n, f.number, tables), f)}`.cursor(size);
}
