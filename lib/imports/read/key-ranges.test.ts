import { describe, expect, it } from 'vitest';
import { PARTITIONS, partitionOf } from '../../db/partitions';
import { KeyRanges, PartitionRanges, type KeyRangeState } from './key-ranges';

const key = (i: number) => `0${String(200_000_000 + i * 7).replace(/(\d{3})(\d{3})(\d{3})$/, '$1.$2.$3')}`;

/** Every key's batch must be the one whose [start, next start) range holds it. */
function expectRangesHold(r: KeyRanges, assigned: [string, number][]) {
  for (const [k, b] of assigned) {
    const lo = r.startOf(b);
    const hi = r.startOf(b + 1);
    expect(lo === null || lo <= k, `${k} >= start of batch ${b}`).toBe(true);
    expect(hi === null || k < hi, `${k} < start of batch ${b + 1}`).toBe(true);
  }
}

/** Ranges stopped after `stop` keys, saved as JSON and made again from it, assign the rest as ranges that never stopped do, and end in the same state. */
function expectResumesExactly<S>(make: (saved?: S) => { assign(key: string): number; state(): S }, keys: string[], stop: number) {
  const whole = make();
  const once = keys.map((k) => whole.assign(k));
  const first = make();
  const a = keys.slice(0, stop).map((k) => first.assign(k));
  const second = make(JSON.parse(JSON.stringify(first.state())) as S);
  const b = keys.slice(stop).map((k) => second.assign(k));
  expect([...a, ...b]).toEqual(once);
  expect(second.state()).toEqual(whole.state());
}

describe('KeyRanges', () => {
  it('cuts a sorted file into batches of about batchSize rows, never inside one key', () => {
    const r = new KeyRanges(10);
    const assigned: [string, number][] = [];
    for (let i = 0; i < 100; i++) for (let j = 0; j < 1 + (i % 3); j++) assigned.push([key(i), r.assign(key(i))]);
    expectRangesHold(r, assigned);
    const sizes = new Map<number, number>();
    for (const [, b] of assigned) sizes.set(b, (sizes.get(b) ?? 0) + 1);
    expect(sizes.size).toBe(r.cuts.length + 1);
    for (const [b, n] of sizes) if (b < r.cuts.length) expect(n >= 10 && n <= 12, `batch ${b}: ${n} keys`).toBe(true);
    // One key, one batch.
    const byKey = new Map<string, Set<number>>();
    for (const [k, b] of assigned) byKey.set(k, (byKey.get(k) ?? new Set()).add(b));
    for (const s of byKey.values()) expect(s.size).toBe(1);
  });

  it('puts a key that comes out of order into the batch whose range holds it', () => {
    const r = new KeyRanges(5);
    const assigned: [string, number][] = [];
    for (let i = 0; i < 40; i++) assigned.push([key(i * 2), r.assign(key(i * 2))]);
    const cuts = r.cuts.length;
    for (let i = 38; i >= 0; i--) assigned.push([key(i * 2 + 1), r.assign(key(i * 2 + 1))]);
    expect(r.cuts.length).toBe(cuts); // late keys never move a cut
    expectRangesHold(r, assigned);
    expect(r.assign('0000.000.000')).toBe(0);
  });

  it('carries on from a saved state exactly as if it had never stopped', () => {
    expectResumesExactly<KeyRangeState>((saved) => new KeyRanges(7, saved), Array.from({ length: 60 }, (_, i) => key(i)), 23);
  });

  it('orders keys bytewise, as COLLATE "C" does', () => {
    const r = new KeyRanges(1);
    for (const k of ['0200.065.765', '1000.000.176', '2.000.000.051', '9.000.000.097']) r.assign(k);
    expect(r.cuts).toEqual(['1000.000.176', '2.000.000.051', '9.000.000.097']);
    expect(r.batchOf('2000.000.000')).toBe(2); // "2000…" sorts after "2.00…": '0' > '.'
  });
});

describe('PartitionRanges', () => {
  const keys = Array.from({ length: 3000 }, (_, i) => key(i));

  it("cuts each partition's keys into its own ranges: batch p + PARTITIONS × j holds partition p's keys only, within [its start, the start of p + PARTITIONS × (j + 1))", () => {
    const r = new PartitionRanges(20);
    const assigned = keys.map((k) => [k, r.assign(k)] as const);
    const batches = new Set(assigned.map(([, b]) => b));
    expect(batches.size).toBeGreaterThan(PARTITIONS);
    for (const [k, b] of assigned) {
      expect(b % PARTITIONS, `${k}: batch ${b}`).toBe(partitionOf(k));
      const lo = r.startOf(b);
      const hi = r.startOf(b + PARTITIONS);
      expect(lo === null || lo <= k, `${k} >= start of batch ${b}`).toBe(true);
      expect(hi === null || k < hi, `${k} < start of batch ${b + PARTITIONS}`).toBe(true);
    }
    // About 20 rows each, but a partition's last.
    const sizes = new Map<number, number>();
    for (const [, b] of assigned) sizes.set(b, (sizes.get(b) ?? 0) + 1);
    for (const [b, n] of sizes) if (sizes.has(b + PARTITIONS)) expect(n, `batch ${b}`).toBe(20);
    // Keys out of order land in the batch whose range holds them, in their own partition.
    for (const late of ['0200.000.001', key(1501).replace(/\d$/, (d) => String((Number(d) + 5) % 10)), '9.999.999.999']) {
      const b = r.assign(late);
      expect(b % PARTITIONS).toBe(partitionOf(late));
      const [lo, hi] = [r.startOf(b), r.startOf(b + PARTITIONS)];
      expect(lo === null || lo <= late, `${late} >= start of batch ${b}`).toBe(true);
      expect(hi === null || late < hi, `${late} < start of batch ${b + PARTITIONS}`).toBe(true);
    }
  });

  it('carries on from a saved state exactly as if it had never stopped', () => {
    expectResumesExactly<KeyRangeState[]>((saved) => new PartitionRanges(9, saved), keys, 1234);
  });
});
