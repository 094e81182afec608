import type { Queryable, Tx } from '../../db/client';
import { ident } from '../../db/sql';
import { DATA_TABLES } from '../../kbo/spec';
import { indexLockKey } from './locks';

/**
 * The register's indexes as the catalog holds them (drizzle/0024, 0025). A FULL into an empty
 * register defers the ones a load keeps up row by row (every row is current: the extract, the
 * by-enterprise and the search indexes) and builds them afterwards, a partition at a time. It
 * keeps the primary key and `<table>_current_key_idx` (the load's key checks and the one-
 * current-row rule use it), and the indexes on ended rows (by enterprise), which a FULL leaves
 * empty.
 */
const deferrable = (sql: Queryable) => sql`
  select i.indexrelid, t.oid as table_oid, i.indisvalid as valid
  from pg_index i
  join pg_class t on t.oid = i.indrelid and t.relkind = 'p'
  join pg_class x on x.oid = i.indexrelid
  where t.relname = any(${[...DATA_TABLES]}::text[]) and t.relnamespace = current_schema()::regnamespace
    and not i.indisprimary and x.relname not like '%\\_current\\_key\\_idx'
    and coalesce(pg_get_expr(i.indpred, i.indrelid), 'is_current') = 'is_current'`;

/** Replaces each deferrable index by an invalid one on the partitioned table only; returns how many it replaced. */
export async function deferIndexes(tx: Tx): Promise<number> {
  const [r] = await tx<{ n: number }[]>`
    select count(*) filter (where kbo_defer_index(d.indexrelid::regclass))::int as n from (${deferrable(tx)}) d`;
  return r?.n ?? 0;
}

/** Each partition's copy of each deferrable index: `missing` while it is not built and attached (a valid parent has every one). */
const partitionCopies = (sql: Queryable) => sql`
  select d.indexrelid::regclass::text as index, h.inhrelid::regclass::text as partition,
         not d.valid and not exists (select 1 from pg_inherits a join pg_index x on x.indexrelid = a.inhrelid
                                     where a.inhparent = d.indexrelid and x.indrelid = h.inhrelid) as missing
  from (${deferrable(sql)}) d join pg_inherits h on h.inhparent = d.table_oid`;

/** Each partition that still lacks its copy of a deferred index, by partition, then index. */
export async function pendingBuilds(sql: Queryable): Promise<{ index: string; partition: string }[]> {
  return sql<{ index: string; partition: string }[]>`
    select index, partition from (${partitionCopies(sql)}) c where missing order by partition, index`;
}

/** How many partitions' indexes the deferrable indexes need in all, and how many are still to build. */
export async function buildProgress(sql: Queryable): Promise<{ total: number; pending: number }> {
  const [r] = await sql<{ total: number; pending: number }[]>`
    select count(*)::int as total, count(*) filter (where missing)::int as pending from (${partitionCopies(sql)}) c`;
  return { total: r?.total ?? 0, pending: r?.pending ?? 0 };
}

/**
 * Builds one partition's copy of `index` and attaches it, unless another driver holds that
 * index (false: take another; `wait`: wait for it) or it was built meanwhile.
 */
export async function buildPartitionIndex(tx: Tx, index: string, partition: string, wait = false): Promise<boolean> {
  if (wait) await tx`select pg_advisory_xact_lock(${indexLockKey(tx, index)})`;
  const [r] = await tx<{ built: boolean }[]>`
    select case when pg_try_advisory_xact_lock(${indexLockKey(tx, index)})
                then kbo_build_index_partition(${index}::regclass, ${partition}::regclass) else false end as built`;
  return Boolean(r?.built);
}

/**
 * Statistics after an import sample this many rows per table or partition (the
 * `default_statistics_target` of its ANALYZE, times 300), not PostgreSQL's default 100: a
 * register table is analysed as 32 partitions, each with its own sample, so at 100 a
 * partitioned table cost 32 tables' samples (9 s on `busy`).
 */
export const STATISTICS_TARGET = 10;

/** ANALYZE of one table or partition at STATISTICS_TARGET; the setting is transaction-local, as a pooler requires (docs/deployment.md). */
export async function analyzeSampled(tx: Tx, table: string): Promise<void> {
  await tx`select set_config('default_statistics_target', ${String(STATISTICS_TARGET)}, true)`;
  await tx`analyze ${ident(tx, table)}`;
}

/**
 * Up to this many pages read by the samples of a partitioned table's partitions (each reads at
 * most one page per sampled row), it is analysed in one call: the partitioned table itself,
 * whose statistics as a whole the planner uses for joins and conditions over all partitions,
 * and every partition with it (PostgreSQL 15 cannot analyse one without the others). Beyond,
 * a partition per call, so no call grows with the register; the partitioned table's own
 * statistics are then left as they were.
 */
export const ONE_CALL_PAGES = 40_000;

/**
 * The tables to ANALYZE for `tables`, in order: a partitioned table whose partitions' samples
 * fit ONE_CALL_PAGES as itself, a larger one as its partitions, a plain table as itself.
 */
export async function analyzeTargets(sql: Queryable, tables: string[], oneCallPages = ONE_CALL_PAGES): Promise<string[]> {
  const rows = await sql<{ names: string[] }[]>`
    select case when count(h.inhrelid) = 0 then array[t.name]
                when sum(least(pg_relation_size(h.inhrelid) / current_setting('block_size')::int, ${STATISTICS_TARGET * 300})) <= ${oneCallPages}
                then array[t.name]
                else array_agg(h.inhrelid::regclass::text order by h.inhrelid::regclass::text) end as names
    from unnest(${tables}::text[]) as t(name)
    left join pg_inherits h on h.inhparent = to_regclass(t.name)
    group by t.name
    order by t.name`;
  return rows.flatMap((r) => r.names);
}
