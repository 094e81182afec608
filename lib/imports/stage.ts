import { pipeline as streamPipeline, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CODE_TABLE, KBO_TABLES, type FilePlan } from '../datasets/kbo';
import type { Tx } from '../db/client';
import { ident, identList } from '../db/sql';
import { readCsv } from './csv';
import { ImportFailure } from './errors';
import { batchOf, checkHeader, copyLine, FATAL_ROW_CODES, mapRecords, type RowError } from './rows';

/** Errors kept in memory (and in import_errors) per import; the total is always counted. */
export const MAX_KEPT_ERRORS = 1_000;

export interface StageTarget {
  jobId: number;
  plan: FilePlan;
  batches: number;
  open: () => Readable;
  /** The file's size as its zip entry declares it; reading past it is refused. */
  declaredBytes: number;
  /** Called as the file is read: uncompressed bytes so far, rows staged so far. */
  onProgress?: (bytes: number, rows: number) => void;
}

export interface StageResult {
  rows: number;
  /** Rows per batch number. */
  perBatch: Map<number, number>;
  errors: RowError[];
  errorCount: number;
  /** The first error after which the file could not be read on (see FATAL_ROW_CODES). */
  fatal: RowError | null;
}

/**
 * Streams one CSV file of the zip into its staging table with COPY: decode, parse, check,
 * assign each row the batch of its entity key, encode. Nothing holds the whole file.
 */
export async function stageFile(tx: Tx, target: StageTarget, keptErrors: number): Promise<StageResult> {
  const { plan, jobId, batches } = target;
  const result: StageResult = { rows: 0, perBatch: new Map(), errors: [], errorCount: 0, fatal: null };
  const reject = (e: RowError) => {
    result.errorCount++;
    if (!result.fatal && FATAL_ROW_CODES.has(e.code)) result.fatal = e;
    if (keptErrors + result.errors.length < MAX_KEPT_ERRORS) result.errors.push(e);
  };
  // Deletes keep only the key column: the other staging columns stay NULL.
  const columns = plan.columns.map((c) => c.column);

  let bytes = 0;
  let damaged: Error | undefined;
  /** The entry's bytes, counted; opened only when reading starts, so no error can go unheard. */
  function openCounted(): Readable {
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        // A zip can understate a file's size in its directory: never inflate past what it declared.
        if (bytes > target.declaredBytes) {
          done(
            new ImportFailure(
              'VALIDATION',
              `${plan.name} unpacks to more than the ${target.declaredBytes.toLocaleString('en')} bytes its zip entry declares; the zip was refused as a possible zip bomb.`,
              { file: plan.name },
            ),
          );
          return;
        }
        done(null, chunk);
      },
    });
    const source = target.open();
    source.once('error', (err) => {
      damaged = err;
    });
    // pipeline (not pipe) so that an error of the zip entry's stream reaches the reader.
    streamPipeline(source, counted, () => {});
    return counted;
  }

  async function* copyText(): AsyncGenerator<string> {
    let header = true;
    for await (const chunk of readCsv(openCounted(), plan.name)) {
      const badLines = new Set<number>();
      for (const p of chunk.problems) {
        badLines.add(p.line);
        const code = p.fatal ? 'UNTERMINATED_QUOTE' : 'MALFORMED_QUOTES';
        reject({ file: plan.name, line: p.line, column: null, value: null, code, message: `${plan.name} line ${p.line} ${p.message}.` });
      }
      // A record with a quoting problem is rejected whole, whatever its fields look like.
      let records = badLines.size ? chunk.records.filter((r) => !badLines.has(r.line)) : chunk.records;
      if (header && records.length) {
        const headerError = checkHeader(plan.name, plan.columns, records[0]?.fields);
        header = false;
        if (headerError) {
          reject(headerError);
          return; // the columns cannot be trusted: stop reading this file
        }
        records = records.slice(1);
      }
      const { valid, invalid } = mapRecords(plan.name, plan.columns, records);
      invalid.forEach(reject);
      let text = '';
      for (const row of valid) {
        const batch = batchOf(row.values[0] as string, batches);
        result.perBatch.set(batch, (result.perBatch.get(batch) ?? 0) + 1);
        text += copyLine([jobId, batch, plan.operation, row.line, ...row.values]);
      }
      result.rows += valid.length;
      target.onProgress?.(bytes, result.rows);
      if (text) yield text;
    }
    if (header) reject(checkHeader(plan.name, plan.columns, undefined) as RowError);
  }

  const writable = await tx`
    copy ${ident(tx, plan.staging)} (job_id, batch_number, operation, line, ${identList(tx, columns)}) from stdin
  `.writable();
  try {
    await pipeline(Readable.from(copyText()), writable);
  } catch (err) {
    if (!damaged) throw err;
    throw new ImportFailure(
      'VALIDATION',
      `${plan.name} is damaged inside the zip (it cannot be decompressed: ${damaged.message}); nothing was imported. Download the extract again and upload it as it comes.`,
      { file: plan.name },
    );
  }
  return result;
}

/** Batches for a table, sized from the zip's uncompressed sizes so each holds about `batchSize` rows. */
export function batchesFor(estimatedRows: number, batchSize: number): number {
  return Math.max(1, Math.ceil(estimatedRows / batchSize));
}

/**
 * Drops a job's staged rows (once it is completed or cancelled). When they are the only rows
 * in a staging table, as they are since one import runs at a time, TRUNCATE frees them at once
 * instead of deleting millions of rows one by one; the min/max check uses the job_id index.
 */
export async function clearStaging(tx: Tx, jobId: number): Promise<void> {
  for (const staging of [...KBO_TABLES.map((t) => t.staging), CODE_TABLE.staging]) {
    const t = ident(tx, staging);
    const [r] = await tx<{ lo: number | null; hi: number | null }[]>`select min(job_id) as lo, max(job_id) as hi from ${t}`;
    if (r?.lo === null || r?.lo === undefined) continue;
    if (r.lo === jobId && r.hi === jobId) await tx`truncate ${t}`;
    else await tx`delete from ${t} where job_id = ${jobId}`;
  }
}
