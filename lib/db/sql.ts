import type { PendingQuery, Row } from 'postgres';
import type { Queryable, Sql } from './client';
import { partitionOf, partitionTable } from './partitions';

export type Fragment = PendingQuery<Row[]>;

/**
 * A quoted identifier. postgres.js picks a helper's meaning from the SQL keyword before it
 * (`insert`, `update`, `select`…), which misfires inside larger statements; an identifier in
 * a fragment of its own is always just an escaped name. Names come from lib/kbo only.
 */
export function ident(sql: Queryable, name: string): Fragment {
  return (sql as Sql)`${(sql as Sql)(name)}`;
}

/** A timestamptz column as ISO 8601 in UTC to the second (`2026-12-07T10:00:00Z`), as the pages and the API show times; null stays null. */
export function isoTime(sql: Queryable, column: string, alias?: string): Fragment {
  const s = sql as Sql;
  const c = alias ? s`${ident(s, alias)}.${ident(s, column)}` : ident(s, column);
  return s`to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
}

/** `"a", "b", …`, optionally prefixed with a table alias: `s."a", s."b"`. */
export function identList(sql: Queryable, names: string[], alias?: string): Fragment {
  const s = sql as Sql;
  return join(
    s,
    names.map((n) => (alias ? s`${ident(s, alias)}.${ident(s, n)}` : ident(s, n))),
    ',',
  );
}

export function join(sql: Queryable, parts: Fragment[], sep: 'and' | ','): Fragment {
  const s = sql as Sql;
  return parts.reduce((acc, part) => (sep === 'and' ? s`${acc} and ${part}` : s`${acc}, ${part}`));
}

/**
 * `t.a = s.a and t.b is not distinct from s.b …`: key columns (never NULL) compare with `=`
 * so the partial index on current rows serves the look-up; the rest treat NULLs as equal.
 */
export function sameRow(sql: Queryable, columns: string[], keys: string[], left: string, right: string): Fragment {
  return join(
    sql,
    columns.map((c) =>
      keys.includes(c)
        ? sql`${ident(sql, left)}.${ident(sql, c)} = ${ident(sql, right)}.${ident(sql, c)}`
        : sql`${ident(sql, left)}.${ident(sql, c)} is not distinct from ${ident(sql, right)}.${ident(sql, c)}`,
    ),
    'and',
  );
}

/**
 * The columns that name one row of a register table: its entity key and id (the primary key of
 * a table partitioned on that key, drizzle/0024), or the id alone for `codes`. Written
 * `(${rowKey}) in (select ${rowKey} …)`, the look-up runs on the primary key.
 */
export function rowKey(sql: Queryable, key: string | null): Fragment {
  return key === null ? ident(sql, 'id') : identList(sql, [key, 'id']);
}

/**
 * Runs `statements` in the caller's transaction with hash and merge joins off, so a join of a
 * batch's keys to a register table probes the key's index, one partition per key. The register
 * tables are hash-partitioned (drizzle/0024): the planner costs each probe as one per partition
 * (it cannot count the pruning done as the join runs), so it would rather read every partition
 * whole, a cost that grows with the register (3,000 keys of 600,000 rows: 220 ms against 59 ms).
 * `SET LOCAL` lasts to the end of the transaction at most, as a transaction pooler requires;
 * the settings go back to their defaults before this returns.
 */
export async function probingKeys<T>(tx: Queryable, statements: () => Promise<T>): Promise<T> {
  await tx`set local enable_hashjoin = off`;
  await tx`set local enable_mergejoin = off`;
  const out = await statements();
  await tx`set local enable_hashjoin to default`;
  await tx`set local enable_mergejoin to default`;
  return out;
}

/**
 * Turns PostgreSQL's JIT compilation off to the end of the transaction. A statement over the
 * register's partitioned tables is costed as the sum of its 32 partitions' scans, which passes
 * `jit_above_cost`, and JIT then compiles each partition's expressions apart: about a second
 * for a change-list part that runs in a quarter of one without it (a NACE spike's 132 parts).
 * The engine's statements read a few thousand rows each, where JIT never pays. `SET LOCAL`,
 * as a transaction pooler requires.
 */
export async function withoutJit(tx: Queryable): Promise<void> {
  await tx`select set_config('jit', 'off', true)`;
}

/**
 * A watchlist match step: no JIT, and no parallel workers, to the end of its transaction. Its
 * reads take a few dozen rows from each of many partitions, a branch each, which is planned as
 * a Parallel Append under a Gather, and starting its workers costs more than the read: 47 ms
 * against 15 ms without them for a step's 1,000 entities' activities. (An import's batches
 * and change-list parts measured the same either way, busy with two drivers: they keep them.)
 */
export async function forShortSteps(tx: Queryable): Promise<void> {
  await tx`select set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)`;
}

/**
 * A read of register table `table` for many keys, a branch per hash partition that holds some,
 * each given only its own keys (`union all`): `each(partition, keys)` writes one branch. A
 * `key = any(keys)` on the partitioned table hands every partition's index the whole array, 32
 * look-ups per key where one does. Null when there are no keys.
 */
export function eachPartition(sql: Queryable, table: string, keys: Iterable<string>, each: (partition: Fragment, keys: string[]) => Fragment): Fragment | null {
  const s = sql as Sql;
  const parts = new Map<number, string[]>();
  for (const k of keys) {
    const p = partitionOf(k);
    const list = parts.get(p);
    if (list) list.push(k);
    else parts.set(p, [k]);
  }
  const branches = [...parts].sort(([a], [b]) => a - b).map(([p, ks]) => each(ident(s, partitionTable(table, p)), ks));
  return branches.length === 0 ? null : unionAll(s, branches);
}

/** `a union all b union all …` of one or more selects of the same shape. */
export function unionAll(sql: Queryable, parts: Fragment[]): Fragment {
  const s = sql as Sql;
  return parts.reduce((a, b) => s`${a} union all ${b}`);
}
