/** bench:register's reads of the catalog of the partitioned register tables, and its choice of their planner statistics. */
import type { Sql } from '../../lib/db/client';
import { ident } from '../../lib/db/sql';

/**
 * `--leaf-stats`: the statistics an import leaves (it analyses each partition, never a
 * partitioned table as a whole: on PostgreSQL 15 that ANALYZE samples every partition again,
 * in one call), so the planner has none of the partitioned tables' own. Without it, those are
 * there (`vacuum analyze` made them; made again if a `--leaf-stats` run removed them).
 */
export async function statistics(sql: Sql, tables: string[], leafOnly: boolean): Promise<void> {
  const [held] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_statistic where stainherit and starelid = any(select oid from pg_class where relname = any(${tables}::text[]))`;
  if (leafOnly) {
    await sql`delete from pg_statistic where stainherit and starelid = any(select oid from pg_class where relname = any(${tables}::text[]))`;
    console.log('statistics: each partition\'s only (as an import leaves them)');
  } else {
    if (!held?.n) for (const t of tables) await sql`analyze ${ident(sql, t)}`;
    console.log('statistics: each partition\'s and each partitioned table\'s');
  }
}

/** Each table's indexes but its primary key, each as a statement that makes it again on the partitioned table (which builds every partition's). */
export function secondaryIndexes(sql: Sql, tables: string[]) {
  return sql<{ name: string; def: string }[]>`
    select x.relname as name, replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') as def
    from pg_index i join pg_class x on x.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
    where t.relnamespace = current_schema()::regnamespace and t.relname = any(${tables}::text[]) and not i.indisprimary`;
}

/** The planner's row count of each partitioned table: its partitions' summed. */
export function estimatedRows(sql: Sql, tables: string[]) {
  return sql<{ table: string; rows: number }[]>`
    select t.relname as table, (select coalesce(sum(greatest(c.reltuples, 0)), 0) from pg_inherits h join pg_class c on c.oid = h.inhrelid where h.inhparent = t.oid)::float8 as rows
    from pg_class t where t.relname = any(${tables}::text[]) order by t.relname`;
}
