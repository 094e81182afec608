import { KBO_TABLES, type ColumnSpec, type FilePlan } from '../../../kbo/spec';
import type { ImportJobFile } from '../../../db/schema';
import type { CsvChunkAt, CsvPosition } from '../../read/csv';
import { PARTITIONS } from '../../../db/partitions';
import { KeyRanges, PartitionRanges } from '../../read/key-ranges';
import { repeatedKey } from '../../read/keys';
import { batchOf, checkHeader, copyLine, mapRecords, runawayQuote, type MappedRow, type RowError } from '../../read/rows';

/** What a step read and checked so far, before it is written. */
export interface StepRead {
  rows: number;
  duplicates: number;
  perBatch: Map<number, number>;
  end: CsvPosition;
  done: boolean;
  runKey: string | null;
  runRows: Set<string>;
  sorted: boolean;
  /** `resync` files: the key ranges their batches cover (within each partition, for a large table's). */
  ranges: KeyRanges | PartitionRanges | null;
}

/** A step's reading state, from where the file's committed position left it. */
export function startRead(file: ImportJobFile, batchSize: number): StepRead {
  return {
    rows: 0,
    duplicates: 0,
    perBatch: new Map(),
    end: { offset: Number(file.bytesDone), line: file.nextLine },
    done: false,
    runKey: file.runKey,
    runRows: new Set(file.runRows ?? []),
    sorted: file.sorted,
    ranges:
      file.operation !== 'resync'
        ? null
        : file.batches === PARTITIONS
          ? new PartitionRanges(batchSize, file.partitionRanges)
          : new KeyRanges(batchSize, { cuts: file.cuts, maxKey: file.maxKey, openRows: file.openRows }),
  };
}

export interface ChunkContext {
  plan: FilePlan;
  file: ImportJobFile;
  jobId: number;
  /** Appended to every row copied straight into a final table: extract number, snapshot date. */
  tail: (string | number | null)[];
  reject: (e: RowError) => void;
}

/**
 * Checks one chunk of records and returns its COPY text. Staged rows get the batch of their
 * entity key; direct rows (a FULL into empty tables) drop exact repeats of a row of the same
 * key, which in a file sorted by key (as KBO files are) are always next to each other.
 * `names`: a FULL's enterprises copied into empty tables, the chunk's primary names, appended
 * to its rows.
 */
export function checkChunk(chunk: CsvChunkAt, read: StepRead, c: ChunkContext, names?: Map<string, string>): CheckedChunk {
  const { plan, file } = c;
  const badLines = new Set<number>();
  for (const p of chunk.problems) {
    badLines.add(p.line);
    c.reject({ file: plan.name, line: p.line, column: null, value: null, code: p.code, message: `${plan.name} line ${p.line} ${p.message}.` });
  }
  // A quote that opens and does not close where it should swallows the good lines after it.
  for (const r of chunk.records) {
    const runaway = runawayQuote(plan.name, plan.columns, r, badLines.has(r.line));
    if (runaway) {
      c.reject(runaway);
      return { text: '', unsure: [] };
    }
  }
  // A record with a quoting problem is rejected whole, whatever its fields look like.
  let records = badLines.size ? chunk.records.filter((r) => !badLines.has(r.line)) : chunk.records;
  if (read.end.offset === 0 && records.length) {
    const headerError = checkHeader(plan.name, plan.columns, records[0]?.fields);
    if (headerError) {
      c.reject(headerError);
      return { text: '', unsure: [] };
    }
    records = records.slice(1);
  }
  const { valid, invalid } = mapRecords(plan.name, plan.columns, records);
  invalid.forEach(c.reject);
  const oneRow = isOneRowFile(c);
  if (file.target === 'direct') return directText(valid, read, c, oneRow, names);
  const out: CheckedChunk = { text: '', unsure: [] };
  for (const row of valid) {
    const key = row.values[0] as string;
    const line = copyLine(row.values);
    // A key listed again with other values in a sorted file is rejected here; in a file out
    // of key order, completePrepare finds it among the staged rows.
    if (oneRow && runOf(read, key, line) === 'other') {
      c.reject(repeatedKey(plan.name, plan.columns[0] as ColumnSpec, key, row.line));
      continue;
    }
    const batch = read.ranges ? read.ranges.assign(key) : batchOf(key, file.batches);
    read.perBatch.set(batch, (read.perBatch.get(batch) ?? 0) + 1);
    out.text += `${c.jobId}\t${batch}\t${file.operation}\t${row.line}\t${line}`;
    read.rows++;
  }
  if (!read.sorted) read.runRows = new Set();
  return out;
}

/** A chunk's COPY text, and (a FULL's one-row-per-key file out of key order) rows still to be checked against the table. */
export interface CheckedChunk {
  text: string;
  unsure: UnsureRow[];
}

/** A row whose key may already be in the table: checked there before its line joins the COPY. */
export interface UnsureRow {
  key: string;
  line: number;
  values: (string | null)[];
  copy: string;
}

/** The rows of this file hold one row per key, and it is not a delete file. */
function isOneRowFile(c: ChunkContext): boolean {
  return c.file.operation !== 'delete' && KBO_TABLES.some((t) => t.table === c.plan.table && t.oneRowPerKey);
}

/**
 * Where a row stands in its file's run of one key: the key's `first` row (or the file is not
 * in key order, so nothing can be said here), the `same` row again, or an `other` row for a
 * key already listed. Files in key order (as KBO writes them) hold a key's rows together.
 */
function runOf(read: StepRead, key: string, line: string): 'first' | 'same' | 'other' {
  if (read.sorted && key === read.runKey) {
    if (read.runRows.has(line)) return 'same';
    return 'other';
  }
  if (read.runKey !== null && key < read.runKey) read.sorted = false;
  read.runKey = key;
  read.runRows = new Set([line]);
  return 'first';
}

function directText(valid: MappedRow[], read: StepRead, c: ChunkContext, oneRow: boolean, names?: Map<string, string>): CheckedChunk {
  const out: CheckedChunk = { text: '', unsure: [] };
  // One-row keys seen in this chunk, with their first row: a file found out of key order
  // part-way through may list one again after that point.
  const seen = new Map<string, string>();
  for (const row of valid) {
    const key = row.values[0] as string;
    const line = copyLine(names ? [...row.values, ...c.tail, names.get(key) ?? null] : [...row.values, ...c.tail]);
    const wasSorted = read.sorted;
    if (wasSorted && key === read.runKey) {
      if (read.runRows.has(line)) {
        read.duplicates++;
        continue;
      }
      if (oneRow) {
        c.reject(repeatedKey(c.plan.name, c.plan.columns[0] as ColumnSpec, key, row.line));
        continue;
      }
      read.runRows.add(line);
    } else {
      runOf(read, key, line);
      if (oneRow && read.sorted) seen.set(key, line);
      else if (oneRow) {
        // Out of key order: an earlier chunk may hold this key; the step asks the table.
        const first = seen.get(key);
        if (first === line) read.duplicates++;
        else if (first !== undefined) c.reject(repeatedKey(c.plan.name, c.plan.columns[0] as ColumnSpec, key, row.line));
        else {
          seen.set(key, line);
          out.unsure.push({ key, line: row.line, values: row.values, copy: line });
        }
        continue;
      }
    }
    read.rows++;
    out.text += line;
  }
  if (!read.sorted) read.runRows = new Set();
  return out;
}
