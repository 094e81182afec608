import type { Queryable, Sql } from '../db/client';
import { eachPartition, ident, identList, unionAll, type Fragment } from '../db/sql';
import { KBO_TABLES } from '../kbo/spec';

/** Columns of a register row that say when it stood, not what it says. */
const HISTORY = ['id', 'extract_number', 'snapshot_date', 'is_current', 'deleted_at_extract', 'primary_name'];

/**
 * The rows extract `n` started (`s`) and ended (not `s`) of each changed entity (`t`, the
 * table; `k`, its key), as jsonb records `r` of their business columns, netted once for all of
 * them (a row ended and started again as it was is neither: `except all`, each twin cancelling
 * one), so only what changed comes out. Each partition's branch only reads: netting in each of
 * 224 branches cost more than the reads (a step's rows are a few dozen per partition). A
 * select to be read within the caller's statement: the rows stay in the database. Null when
 * `changed` is empty.
 */
export function movedRows(sql: Queryable, n: number, changed: { t: string; n: string }[]): Fragment | null {
  const s = sql as Sql;
  const reads = KBO_TABLES.flatMap((spec) => {
    const keys = new Set(changed.filter((c) => c.t === spec.table).map((c) => c.n));
    const columns = spec.columns.map((c) => c.column);
    const key = ident(s, spec.key);
    const read = eachPartition(s, spec.table, keys, (p, ks) => s`
      select ${spec.table}::text as t, x.${key} as k, to_jsonb(x) - ${HISTORY}::text[] as r, x.extract_number = ${n} as s
      from (select ${identList(s, [...columns, 'extract_number'])} from ${p} where ${key} = any(${ks}::text[]) and (extract_number = ${n} or deleted_at_extract = ${n})) x`);
    return read ? [read] : [];
  });
  if (reads.length === 0) return null;
  return s`
    with m as materialized (${unionAll(s, reads)})
    (select t, k, r, true as s from m where s except all select t, k, r, true from m where not s)
    union all
    (select t, k, r, false from m where not s except all select t, k, r, false from m where s)`;
}
