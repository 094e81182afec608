import type { Sql } from './client';

/**
 * Work that holds a pooled connection in a transaction while it needs a second one (a prepare
 * step reads the zip's parts through the pool while its transaction is open). With as many
 * such callers at once as the pool has connections, each would wait for a second connection
 * for ever. So per client at most half the pool runs such work at once; the other callers
 * wait their turn, first come first served.
 */

interface Slots {
  active: number;
  waiting: (() => void)[];
}
const slotsBySql = new WeakMap<Sql, Slots>();

export function poolSize(sql: Sql): number {
  return (sql.options as { max?: number }).max ?? 10;
}

export async function inHalfPool<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
  let slots = slotsBySql.get(sql);
  if (!slots) slotsBySql.set(sql, (slots = { active: 0, waiting: [] }));
  const limit = Math.max(1, Math.floor(poolSize(sql) / 2));
  if (slots.active >= limit) await new Promise<void>((resolve) => slots.waiting.push(resolve));
  else slots.active++;
  try {
    return await work();
  } finally {
    // Hand the slot to the next caller as it is (active stays counted), or free it.
    const next = slots.waiting.shift();
    if (next) next();
    else slots.active--;
  }
}
