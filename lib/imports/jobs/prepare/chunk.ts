import type { FilePlan } from '../../../datasets/kbo';
import type { ImportJobFile } from '../../../db/schema';
import type { CsvChunkAt, CsvPosition } from '../../read/csv';
import { KeyRanges } from '../../read/key-ranges';
import { batchOf, checkHeader, copyLine, mapRecords, runawayQuote, type RowError } from '../../read/rows';

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
  /** `resync` files: the key ranges their batches cover. */
  ranges: KeyRanges | null;
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
    ranges: file.operation === 'resync' ? new KeyRanges(batchSize, { cuts: file.cuts, maxKey: file.maxKey, openRows: file.openRows }) : null,
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
export function checkChunk(chunk: CsvChunkAt, read: StepRead, c: ChunkContext, names?: Map<string, string>): string {
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
      return '';
    }
  }
  // A record with a quoting problem is rejected whole, whatever its fields look like.
  let records = badLines.size ? chunk.records.filter((r) => !badLines.has(r.line)) : chunk.records;
  if (read.end.offset === 0 && records.length) {
    const headerError = checkHeader(plan.name, plan.columns, records[0]?.fields);
    if (headerError) {
      c.reject(headerError);
      return '';
    }
    records = records.slice(1);
  }
  const { valid, invalid } = mapRecords(plan.name, plan.columns, records);
  invalid.forEach(c.reject);
  if (file.target === 'direct') return directText(valid, read, c.tail, names);
  let text = '';
  for (const row of valid) {
    const key = row.values[0] as string;
    const batch = read.ranges ? read.ranges.assign(key) : batchOf(key, file.batches);
    read.perBatch.set(batch, (read.perBatch.get(batch) ?? 0) + 1);
    text += copyLine([c.jobId, batch, file.operation, row.line, ...row.values]);
  }
  read.rows += valid.length;
  return text;
}

function directText(valid: ReturnType<typeof mapRecords>['valid'], read: StepRead, tail: (string | number | null)[], names?: Map<string, string>): string {
  let text = '';
  for (const row of valid) {
    const key = row.values[0] as string;
    const line = copyLine(names ? [...row.values, ...tail, names.get(key) ?? null] : [...row.values, ...tail]);
    if (read.sorted && key === read.runKey) {
      if (read.runRows.has(line)) {
        read.duplicates++;
        continue;
      }
      read.runRows.add(line);
    } else {
      if (read.runKey !== null && key < read.runKey) read.sorted = false; // finalize removes repeats instead
      read.runKey = key;
      read.runRows = new Set([line]);
    }
    read.rows++;
    text += line;
  }
  if (!read.sorted) read.runRows = new Set();
  return text;
}
