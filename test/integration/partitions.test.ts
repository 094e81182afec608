import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KBO_TABLES } from '../../lib/kbo/spec';
import { PARTITIONS, partitionOf, partitionTable } from '../../lib/db/partitions';
import { forShortSteps, withoutJit } from '../../lib/db/sql';
import type { Queryable } from '../../lib/db/client';
import { freshDb, type TestDb } from '../helpers/db';

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
});
afterAll(async () => {
  await t.drop();
});

/** Keys of every length lookup3 treats apart (0 to 25 bytes), the register's shapes, and some beyond ASCII. */
function sampleKeys(): string[] {
  const keys = ['', '0201.234.567', '2.123.456.789', '0201234567', 'é', 'Ünïcødé ✓', 'a\tb', '日本語のキー'];
  for (let n = 1; n <= 25; n++) keys.push('0123456789abcdefghijklmnop'.slice(0, n));
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647);
  for (let i = 0; i < 200; i++) {
    const d = String(next() % 10_000_000_000).padStart(10, '0');
    keys.push(`${d.slice(0, 4)}.${d.slice(4, 7)}.${d.slice(7)}`);
  }
  return keys;
}

describe('partitionOf', () => {
  it('names the partition PostgreSQL routes each key to, on every register table', async () => {
    const keys = sampleKeys();
    for (const spec of KBO_TABLES) {
      const parts = keys.map((k) => partitionOf(k));
      const rows = await t.db<{ ok: boolean }[]>`
        select satisfies_hash_partition(${spec.table}::regclass, ${PARTITIONS}, p, k) as ok
        from unnest(${keys}::text[], ${parts}::int[]) as u(k, p)`;
      expect(rows.filter((r) => !r.ok).length, spec.table).toBe(0);
    }
  });

  it('matches the schema: each register table has its partitions, named after their remainders', async () => {
    for (const spec of KBO_TABLES) {
      const rows = await t.db<{ name: string; bound: string }[]>`
        select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
        from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = ${spec.table}::regclass order by c.relname`;
      expect(rows.length, spec.table).toBe(PARTITIONS);
      for (const r of rows) {
        const remainder = Number(/remainder (\d+)/.exec(r.bound)?.[1]);
        expect(r.name).toBe(partitionTable(spec.table, remainder));
        expect(r.bound).toContain(`modulus ${PARTITIONS}`);
      }
    }
  });

  it('spreads the register\'s keys over every partition', () => {
    const seen = new Set(sampleKeys().slice(-200).map((k) => partitionOf(k)));
    expect(seen.size).toBe(PARTITIONS);
  });
});

describe('forShortSteps', () => {
  it('turns JIT and parallel workers off to the end of its transaction only, as a transaction pooler requires', async () => {
    const sql = t.db;
    const settings = async (q: Queryable) =>
      (await q<{ jit: string; workers: string }[]>`select current_setting('jit') as jit, current_setting('max_parallel_workers_per_gather') as workers`)[0];
    const before = await settings(sql);
    // PostgreSQL's default is 2 workers per Gather; a server set to none could not tell.
    expect(before?.workers).not.toBe('0');
    const inside = await sql.begin(async (tx) => {
      await forShortSteps(tx);
      return settings(tx);
    });
    expect(inside).toEqual({ jit: 'off', workers: '0' });
    expect(await sql.begin((tx) => settings(tx))).toEqual(before);
    // An import's steps turn JIT off only.
    const importStep = await sql.begin(async (tx) => {
      await withoutJit(tx);
      return settings(tx);
    });
    expect(importStep).toEqual({ jit: 'off', workers: before?.workers });
  });
});
