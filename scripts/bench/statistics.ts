/** bench:register's reads of the catalog of the partitioned register tables, and its choice of their planner statistics. */
import type { Sql } from '../../lib/db/client';
import { ident } from '../../lib/db/sql';
import { analyzeSampled, analyzeTargets, STATISTICS_TARGET } from '../../lib/imports';

/**
 * The planner statistics the queries run with:
 * - `full` (the default): PostgreSQL's own, of each partition and each partitioned table,
 *   made again at the default target;
 * - `leaf`: each partition's only, none of the partitioned tables' own (what an import left
 *   when it analysed a partition per call, as it still does for a table too large for one);
 * - `import`: what an import leaves now (lib/imports/jobs/analyze.ts): samples at
 *   STATISTICS_TARGET, a table small enough in one call (its own statistics too), a larger
 *   one a partition per call.
 */
export async function statistics(sql: Sql, tables: string[], kind: 'full' | 'leaf' | 'import'): Promise<void> {
  if (kind === 'import') {
    await sql`delete from pg_statistic where stainherit and starelid = any(select oid from pg_class where relname = any(${tables}::text[]))`;
    const targets = await analyzeTargets(sql, tables);
    for (const t of targets) await sql.begin((tx) => analyzeSampled(tx, t));
    console.log(`statistics: as an import leaves them (${targets.length} ANALYZE calls at target ${STATISTICS_TARGET})`);
  } else if (kind === 'leaf') {
    await sql`delete from pg_statistic where stainherit and starelid = any(select oid from pg_class where relname = any(${tables}::text[]))`;
    console.log('statistics: each partition\'s only (as an import leaves a table too large for one call)');
  } else {
    for (const t of tables) await sql`analyze ${ident(sql, t)}`;
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
