import type { Queryable, Sql } from '../db/client';
import { eachPartition, ident, identList } from '../db/sql';
import { KBO_TABLES } from '../kbo/spec';
import type { MatchRows } from './words';

/** Columns of a register row that say when it stood, not what it says. */
const HISTORY = ['id', 'extract_number', 'snapshot_date', 'is_current', 'deleted_at_extract', 'primary_name'];

/**
 * The rows extract `n` started and ended of each changed entity, netted where they are read (a
 * row ended and started again as it was is neither: `except all`, each twin cancelling one), so
 * only what changed comes back.
 */
export async function movedRows(sql: Queryable, n: number, changed: { t: string; n: string }[]): Promise<Map<string, MatchRows>> {
  const s = sql as Sql;
  const out = new Map<string, MatchRows>();
  for (const spec of KBO_TABLES) {
    const keys = [...new Set(changed.filter((c) => c.t === spec.table).map((c) => c.n))];
    if (keys.length === 0) continue;
    const columns = spec.columns.map((c) => c.column);
    const key = ident(s, spec.key);
    const read = eachPartition(s, spec.table, keys, (p, ks) => s`(
      with m as (
        select x.${key} as k, to_jsonb(x) - ${HISTORY}::text[] as r, x.extract_number = ${n} as s
        from (select ${identList(s, [...columns, 'extract_number'])} from ${p} where ${key} = any(${ks}::text[]) and (extract_number = ${n} or deleted_at_extract = ${n})) x)
      (select k, r, true as s from m where s except all select k, r, true from m where not s)
      union all
      (select k, r, false from m where not s except all select k, r, false from m where s))`);
    // In the rows' own order (jsonb's), not the table's: the same import says the same words anywhere.
    const rows = read ? await s<{ k: string; r: Record<string, unknown>; s: boolean }[]>`select k, r, s from (${read}) u order by r` : [];
    const byKey = new Map<string, MatchRows>(keys.map((k) => [k, { table: spec.table, entity: k, started: [], ended: [] }]));
    for (const f of rows) (f.s ? byKey.get(f.k)?.started : byKey.get(f.k)?.ended)?.push(f.r);
    for (const [k, m] of byKey) out.set(`${spec.table}\u0000${k}`, m);
  }
  return out;
}

