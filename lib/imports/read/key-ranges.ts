import { PARTITIONS, partitionOf } from '../../db/partitions';

/**
 * Batches of a resync, cut by key range while a FULL file is read. Batch 0 covers every key
 * below the first cut, batch i the keys from cut i−1 up to (not including) cut i, and the last
 * batch every key from the last cut up. So each batch is a range of keys in the table: its
 * apply can end the current rows in that range that the FULL lacks, and batches never share
 * an entity, whatever runs them in parallel.
 *
 * A new cut is made only at a key above every key read so far, once the last batch holds a
 * batch's worth of rows: rows already given to the last batch stay inside its range. In a
 * file sorted by key (as the register's are) every batch gets about `batchSize` rows; a key
 * out of order still lands in the one batch whose range holds it.
 *
 * Keys are compared as JavaScript strings (UTF-16 code units), which for the register's ASCII
 * keys is the bytewise order the key columns use in SQL (`COLLATE "C"`).
 */
export interface KeyRangeState {
  cuts: string[];
  maxKey: string | null;
  /** Rows in the last batch so far. */
  openRows: number;
}

export class KeyRanges {
  readonly cuts: string[];
  maxKey: string | null;
  openRows: number;

  constructor(
    private readonly batchSize: number,
    state: KeyRangeState = { cuts: [], maxKey: null, openRows: 0 },
  ) {
    this.cuts = [...state.cuts];
    this.maxKey = state.maxKey;
    this.openRows = state.openRows;
  }

  /** The batch of a row with this key (and counts the row). */
  assign(key: string): number {
    if (this.maxKey === null || key > this.maxKey) {
      if (this.maxKey !== null && this.openRows >= this.batchSize) {
        this.cuts.push(key);
        this.openRows = 0;
      }
      this.maxKey = key;
      this.openRows++;
      return this.cuts.length;
    }
    const batch = this.batchOf(key);
    if (batch === this.cuts.length) this.openRows++;
    return batch;
  }

  /** The batch whose range holds `key`: the number of cuts at or below it. */
  batchOf(key: string): number {
    let lo = 0;
    let hi = this.cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cuts[mid] as string) <= key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first key of a batch's range (null: no lower bound). */
  startOf(batch: number): string | null {
    return batch === 0 ? null : (this.cuts[batch - 1] ?? null);
  }

  state(): KeyRangeState {
    return { cuts: [...this.cuts], maxKey: this.maxKey, openRows: this.openRows };
  }
}

/**
 * The key ranges of a resync of a large table, cut within each register partition: partition
 * p's keys are cut into ranges as above (KeyRanges), and its j-th range is batch
 * `p + PARTITIONS × j`. Each batch then holds the keys of one partition, and is applied to it
 * directly: a range of keys on the partitioned table would have every partition read it.
 */
export class PartitionRanges {
  private readonly parts: KeyRanges[];

  constructor(batchSize: number, states: KeyRangeState[] | null = null) {
    this.parts = Array.from({ length: PARTITIONS }, (_, p) => new KeyRanges(batchSize, states?.[p]));
  }

  /** The batch of a row with this key (and counts the row). */
  assign(key: string): number {
    const p = partitionOf(key);
    return p + PARTITIONS * (this.parts[p] as KeyRanges).assign(key);
  }

  /** The first key of a batch's range within its partition (null: no lower bound). */
  startOf(batch: number): string | null {
    return (this.parts[batch % PARTITIONS] as KeyRanges).startOf(Math.floor(batch / PARTITIONS));
  }

  state(): KeyRangeState[] {
    return this.parts.map((r) => r.state());
  }
}

/** What a file keeps of its ranges between steps: across the table (`ranges`), or per partition. */
export function savedRanges(r: KeyRanges | PartitionRanges | null): { ranges: KeyRangeState; partitionRanges: KeyRangeState[] | null } {
  return { ranges: r instanceof KeyRanges ? r.state() : { cuts: [], maxKey: null, openRows: 0 }, partitionRanges: r instanceof PartitionRanges ? r.state() : null };
}
