import { tableSpec, type DataTableName } from '../../kbo/spec';
import type { Queryable } from '../../db/client';
import { identList, type Fragment } from '../../db/sql';

/** A row's business columns as one digest: two rows with the same content have the same one. */
export function rowContent(sql: Queryable, table: DataTableName): Fragment {
  return sql`md5(row(${identList(sql, tableSpec(table).columns.map((c) => c.column))})::text)`;
}

/**
 * Rows an import started (`s` = 1) and ended (`e` = 1), with their content `h`, netted per
 * `groups`: `started` and `ended` leave out the rows it ended and started again unchanged
 * (an UPDATE re-issues every row of a key it touches), counted as `reissued`.
 */
export function netMoves(sql: Queryable, moved: Fragment, groups: string[]): Fragment {
  const g = identList(sql, groups);
  return sql`
    select ${g}, sum(greatest(s - e, 0))::int as started, sum(greatest(e - s, 0))::int as ended, sum(least(s, e))::int as reissued
    from (select ${g}, h, sum(s) as s, sum(e) as e from (${moved}) moved group by ${g}, h) per_row
    group by ${g}`;
}
