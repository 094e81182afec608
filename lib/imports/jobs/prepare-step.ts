import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { filesFor, type FilePlan } from '../../datasets/kbo';
import type { Sql, Tx } from '../../db/client';
import type { ImportJobFile, ZipSourceRef } from '../../db/schema';
import { ident, identList } from '../../db/sql';
import { readCsv, type CsvChunkAt, type CsvPosition } from '../read/csv';
import { ImportFailure } from '../errors';
import { injectStagingDelay } from './faults';
import { KeyRanges } from '../read/key-ranges';
import { batchOf, checkHeader, copyLine, FATAL_ROW_CODES, mapRecords, rejectionVerdict, type RejectPolicy, type RowError } from '../read/rows';
import { clearStaging } from './staging';
import { startUndo } from './undo';
import { openExtract, type OpenedExtract } from '../read/zip';
import { dropUpload, openSource } from '../store/sources';

/** Errors kept (in import_errors) per import; the total is always counted. */
export const MAX_KEPT_ERRORS = 1_000;

export interface PrepareJob {
  id: number;
  extractNumber: number;
  extractType: 'full' | 'update';
  snapshotDate: string | null;
  source: ZipSourceRef;
  onError: 'continue' | 'fail-fast';
  maxRejected: number | null;
  batchSize: number;
}

export interface StepOutcome {
  /** Null for the step that ended prepare (the job went to `running`). */
  file: string | null;
  rows: number;
  rejected: number;
  durationMs: number;
  /** The file is read to its end. */
  fileDone: boolean;
  /** The file was refused: the job failed (see its error). */
  failed?: boolean;
}

/** What a step read and checked, before it is written. */
interface StepRead {
  rows: number;
  duplicates: number;
  errors: RowError[];
  errorCount: number;
  fatal: RowError | null;
  perBatch: Map<number, number>;
  end: CsvPosition;
  done: boolean;
  runKey: string | null;
  runRows: Set<string>;
  sorted: boolean;
  /** `resync` files: the key ranges their batches cover. */
  ranges: KeyRanges | null;
}

// ---------------------------------------------------------------------------------------------
// Readers kept between steps. A step stops at a record boundary with its reader paused there;
// when the next step of that file runs in this process (the CLI, a long-lived server), it
// reads on instead of inflating the file again up to that position. Correctness never depends
// on this cache: a step always starts from the position committed in import_job_files.

interface LiveReader {
  at: number;
  chunks: AsyncGenerator<CsvChunkAt>;
  timer: NodeJS.Timeout;
}
const READER_IDLE_MS = 30_000;
const readers = new WeakMap<Sql, Map<string, LiveReader>>();
const extractsBySql = new WeakMap<Sql, Map<number, { extract: Promise<OpenedExtract>; timer: NodeJS.Timeout }>>();

/** Per database client: job ids are only unique within one database. */
function readersOf(sql: Sql): Map<string, LiveReader> {
  let m = readers.get(sql);
  if (!m) readers.set(sql, (m = new Map()));
  return m;
}

/** Drops this client's paused readers (tests: the next steps re-read from the committed positions). */
export function forgetLiveReaders(sql: Sql): void {
  const m = readersOf(sql);
  for (const live of m.values()) {
    clearTimeout(live.timer);
    void live.chunks.return(undefined);
  }
  m.clear();
}

function takeReader(sql: Sql, key: string, at: number): AsyncGenerator<CsvChunkAt> | undefined {
  const readers = readersOf(sql);
  const live = readers.get(key);
  if (!live) return undefined;
  readers.delete(key);
  clearTimeout(live.timer);
  if (live.at === at) return live.chunks;
  void live.chunks.return(undefined);
  return undefined;
}

function keepReader(sql: Sql, key: string, at: number, chunks: AsyncGenerator<CsvChunkAt>): void {
  const readers = readersOf(sql);
  const timer = setTimeout(() => {
    readers.delete(key);
    void chunks.return(undefined);
  }, READER_IDLE_MS);
  timer.unref();
  readers.set(key, { at, chunks, timer });
}

function extractOf(sql: Sql, job: PrepareJob): Promise<OpenedExtract> {
  let extracts = extractsBySql.get(sql);
  if (!extracts) extractsBySql.set(sql, (extracts = new Map()));
  const cached = extracts.get(job.id);
  if (cached) {
    cached.timer.refresh();
    return cached.extract;
  }
  const extract = openSource(sql, job.source).then((source) => openExtract(source));
  const timer = setTimeout(() => extracts.delete(job.id), READER_IDLE_MS);
  timer.unref();
  extracts.set(job.id, { extract, timer });
  extract.catch(() => extracts.delete(job.id));
  return extract;
}

// ---------------------------------------------------------------------------------------------

/**
 * Prepare steps until the budget runs out: each stages the next stretch of one file and
 * commits it with the file's new position. Several drivers can step one job: each locks a
 * different file. Returns [] when there is nothing this driver can do now.
 */
export async function prepareSteps(sql: Sql, jobId: number, budgetMs: number): Promise<StepOutcome[]> {
  const deadline = Date.now() + budgetMs;
  const out: StepOutcome[] = [];
  do {
    const step = await prepareStep(sql, jobId, deadline);
    if (step === 'complete') {
      if (await completePrepare(sql, jobId)) out.push({ file: null, rows: 0, rejected: 0, durationMs: 0, fileDone: true });
      break;
    }
    if (!step) break;
    out.push(step);
    if (step.failed) break;
  } while (Date.now() < deadline);
  return out;
}

/**
 * Once every file is read: the rejected-rows verdict over the whole extract, then the job
 * goes to `running` (its batches become claimable). Exactly one caller gets `true`.
 */
async function completePrepare(sql: Sql, jobId: number): Promise<boolean> {
  try {
    return await sql.begin(async (tx) => {
      const [job] = await tx<{ status: string; on_error: 'continue' | 'fail-fast'; max_rejected: number | null; max_rejected_percent: number | null }[]>`
        select status, on_error, max_rejected, max_rejected_percent from import_jobs where id = ${jobId} for update`;
      if (job?.status !== 'preparing') return false;
      const files = await tx<{ name: string; table_name: string; batches: number; rows: number; rejected: number; duplicates: number; done: boolean }[]>`
        select name, table_name, batches, rows, rejected, duplicates, done from import_job_files where job_id = ${jobId} order by file_index`;
      if (files.some((f) => !f.done)) return false;
      const rows = files.reduce((s, f) => s + f.rows + f.duplicates, 0);
      const rejected = files.reduce((s, f) => s + f.rejected, 0);
      const policy: RejectPolicy = { onError: job.on_error, maxRejected: job.max_rejected, maxRejectedPercent: job.max_rejected_percent };
      const verdict = rejectionVerdict(policy, rejected, rows + rejected, null);
      if (verdict) {
        const first = await tx<RowError[]>`select file, line, "column", value, code, message from import_errors where job_id = ${jobId} order by id limit 20`;
        throw new ImportFailure('VALIDATION', `${verdict} First problem: ${first[0]?.message ?? ''} Fix the file and upload it again.`, {
          jobId,
          errorCount: rejected,
          errors: first,
        });
      }
      // Planned from the zip's sizes (UPDATE), cut while reading (resync) or one per step (direct).
      const made = await tx<{ table_name: string; n: number }[]>`
        select table_name, count(distinct batch_number)::int as n from import_job_batches where job_id = ${jobId} group by table_name`;
      const batchesPerTable: Record<string, number> = {};
      for (const f of files) batchesPerTable[f.table_name] = Math.max(batchesPerTable[f.table_name] ?? 0, f.batches);
      for (const m of made) batchesPerTable[m.table_name] = Math.max(batchesPerTable[m.table_name] ?? 0, m.n);
      const counts = {
        files: Object.fromEntries(files.map((f) => [f.name, f.rows + f.duplicates])),
        batchesPerTable,
        rejected,
      };
      await tx`
        update import_jobs set status = 'running', prepared_at = now(), counts = ${JSON.stringify(counts)}::jsonb
        where id = ${jobId}`;
      return true;
    });
  } catch (err) {
    if (!(err instanceof ImportFailure) || err.code !== 'VALIDATION') throw err;
    await failPrepare(sql, jobId, err);
    return true;
  }
}

async function prepareStep(sql: Sql, jobId: number, deadline: number): Promise<StepOutcome | 'complete' | undefined> {
  const started = Date.now();
  let failedJob: PrepareJob | undefined;
  try {
    return await sql.begin(async (tx) => {
      // A share lock on the job for the whole step: cancel (which locks it for update) waits
      // for a step in flight, and a step never starts on a job that is no longer preparing.
      const [j] = await tx<
        {
          status: string;
          extract_number: number;
          extract_type: 'full' | 'update';
          snapshot_date: string | null;
          source: ZipSourceRef;
          on_error: 'continue' | 'fail-fast';
          max_rejected: number | null;
          batch_size: number;
        }[]
      >`select status, extract_number, extract_type, snapshot_date, source, on_error, max_rejected, batch_size
        from import_jobs where id = ${jobId} for share`;
      if (!j || j.status !== 'preparing') return undefined;
      const job: PrepareJob = {
        id: jobId,
        extractNumber: j.extract_number,
        extractType: j.extract_type,
        snapshotDate: j.snapshot_date,
        source: j.source,
        onError: j.on_error,
        maxRejected: j.max_rejected,
        batchSize: j.batch_size,
      };
      failedJob = job;
      const [file] = await tx<ImportJobFile[]>`
        select job_id as "jobId", file_index as "fileIndex", name, table_name as "tableName", operation, target, batches,
               declared_bytes as "declaredBytes", bytes_done as "bytesDone", next_line as "nextLine", steps, rows,
               rejected, duplicates, run_key as "runKey", run_rows as "runRows", sorted, cuts, max_key as "maxKey",
               open_rows as "openRows", done
        from import_job_files where job_id = ${jobId} and not done
        order by file_index limit 1 for update skip locked`;
      if (!file) {
        const [open] = await tx<{ n: number }[]>`select count(*)::int as n from import_job_files where job_id = ${jobId} and not done`;
        return open?.n === 0 ? 'complete' : undefined;
      }
      return stageStep(sql, tx, job, file, deadline, started);
    });
  } catch (err) {
    // A refused file ends the job (`failed`, with the reason); the caller reads that in the status.
    if (!failedJob || !(err instanceof ImportFailure) || err.code !== 'VALIDATION') throw err;
    await failPrepare(sql, failedJob.id, err);
    return { file: (err.details as { file?: string } | undefined)?.file ?? null, rows: 0, rejected: 0, durationMs: Date.now() - started, fileDone: false, failed: true };
  }
}

async function stageStep(sql: Sql, tx: Tx, job: PrepareJob, file: ImportJobFile, deadline: number, started: number): Promise<StepOutcome> {
  const extract = await extractOf(sql, job);
  const entry = extract.files.find((f) => f.name === file.name);
  const plan = filesFor(job.extractType).find((p) => p.name === file.name);
  if (!entry || !plan) throw new ImportFailure('INTERNAL', `${file.name} is no longer in this import's zip.`);
  await injectStagingDelay();

  const key = `${job.id}:${file.fileIndex}`;
  const from: CsvPosition = { offset: Number(file.bytesDone), line: file.nextLine };
  const chunks = takeReader(sql, key, from.offset) ?? readCsv(declared(entry.open(), entry.uncompressedSize, file.name), file.name, from);
  const [kept] = await tx<{ n: number }[]>`select count(*)::int as n from import_errors where job_id = ${job.id}`;
  const read: StepRead = {
    rows: 0,
    duplicates: 0,
    errors: [],
    errorCount: 0,
    fatal: null,
    perBatch: new Map(),
    end: from,
    done: false,
    runKey: file.runKey,
    runRows: new Set(file.runRows ?? []),
    sorted: file.sorted,
    ranges: file.operation === 'resync' ? new KeyRanges(job.batchSize, { cuts: file.cuts, maxKey: file.maxKey, openRows: file.openRows }) : null,
  };
  const keptBefore = kept?.n ?? 0;
  const reject = (e: RowError) => {
    read.errorCount++;
    if (!read.fatal && FATAL_ROW_CODES.has(e.code)) read.fatal = e;
    if (keptBefore + read.errors.length < MAX_KEPT_ERRORS) read.errors.push(e);
  };

  const direct = file.target === 'direct';
  const columns = plan.columns.map((c) => c.column);
  const writable = direct
    ? await tx`copy ${ident(tx, file.tableName)} (${identList(tx, columns)}, extract_number, snapshot_date) from stdin`.writable()
    : await tx`copy ${ident(tx, plan.staging)} (job_id, batch_number, operation, line, ${identList(tx, columns)}) from stdin`.writable();
  const tail = direct ? [job.extractNumber, job.snapshotDate] : [];

  async function* copyText(): AsyncGenerator<string> {
    // At least one chunk per step, so every step moves the position on.
    for (let pulled = 0; pulled === 0 || Date.now() < deadline; pulled++) {
      const next = await chunks.next();
      if (next.done) {
        read.done = true;
        return;
      }
      const chunk = next.value;
      const text = checkChunk(chunk, plan as FilePlan, file, read, reject, tail, job.id);
      read.end = chunk.end;
      if (read.fatal || (job.onError === 'fail-fast' && read.errorCount > 0)) return;
      if (text) yield text;
    }
  }

  try {
    await pipeline(Readable.from(copyText()), writable);
  } catch (err) {
    void chunks.return(undefined);
    throw damagedOr(err, file.name);
  }
  const verdict = rejectionVerdict({ onError: job.onError, maxRejected: null, maxRejectedPercent: null }, read.errorCount, read.rows, read.fatal);
  if (verdict) {
    void chunks.return(undefined);
    throw refusal(job.id, verdict, read.fatal ?? (read.errors[0] as RowError), read);
  }
  if (read.done) {
    // A file with no header line at all.
    if (read.end.offset === 0) {
      const error = checkHeader(file.name, plan.columns, undefined) as RowError;
      reject(error);
      throw refusal(job.id, rejectionVerdict({ onError: job.onError, maxRejected: null, maxRejectedPercent: null }, 1, 0, error) as string, error, read);
    }
  } else {
    keepReader(sql, key, read.end.offset, chunks);
  }

  if (job.maxRejected !== null) {
    const [before] = await tx<{ n: number }[]>`select coalesce(sum(rejected), 0)::int as n from import_job_files where job_id = ${job.id}`;
    const total = (before?.n ?? 0) + read.errorCount;
    const verdict = rejectionVerdict({ onError: 'continue', maxRejected: job.maxRejected, maxRejectedPercent: null }, total, read.rows, null);
    if (verdict) {
      const [first] = await tx<RowError[]>`select file, line, "column", value, code, message from import_errors where job_id = ${job.id} order by id limit 1`;
      throw refusal(job.id, verdict, first ?? (read.errors[0] as RowError), read, total);
    }
  }

  if (read.errors.length) await insertRowErrors(tx, job.id, read.errors);
  if (direct) {
    if (read.rows + read.duplicates > 0) {
      // A direct step is its own completed batch: status, reports and undo count it like any other.
      const [batch] = await tx<{ id: number }[]>`
        insert into import_job_batches (job_id, table_name, operation, batch_number, status, row_count, attempts,
                                        started_at, completed_at, duration_ms, rows_inserted, rows_ended, rows_unchanged, rows_duplicate, rows_noop)
        values (${job.id}, ${file.tableName}, 'insert', ${file.steps}, 'completed', ${read.rows + read.duplicates}, 1,
                ${new Date(started).toISOString()}::timestamptz, now(), ${Date.now() - started}, ${read.rows}, 0, 0, ${read.duplicates}, 0)
        returning id`;
      await tx`
        insert into import_batch_attempts (batch_id, job_id, attempt, outcome, started_at)
        values (${(batch as { id: number }).id}, ${job.id}, 1, 'completed', ${new Date(started).toISOString()}::timestamptz)`;
    }
  } else if (read.perBatch.size) {
    const entries = [...read.perBatch];
    const starts = entries.map(([b]) => read.ranges?.startOf(b) ?? null);
    await tx`
      insert into import_job_batches (job_id, table_name, operation, batch_number, row_count, range_start)
      select ${job.id}, ${file.tableName}, ${file.operation}, b, r, s
      from unnest(${entries.map((e) => e[0])}::int[], ${entries.map((e) => e[1])}::int[], ${starts}::text[]) as u(b, r, s)
      on conflict (job_id, table_name, operation, batch_number)
      do update set row_count = import_job_batches.row_count + excluded.row_count`;
  }
  const ranges = read.ranges?.state() ?? { cuts: [], maxKey: null, openRows: 0 };
  await tx`
    update import_job_files
    set bytes_done = ${read.end.offset}, next_line = ${read.end.line}, steps = steps + 1, rows = rows + ${read.rows},
        rejected = rejected + ${read.errorCount}, duplicates = duplicates + ${read.duplicates},
        run_key = ${read.runKey}, run_rows = ${JSON.stringify([...read.runRows])}::jsonb, sorted = ${read.sorted},
        cuts = ${JSON.stringify(ranges.cuts)}::jsonb, max_key = ${ranges.maxKey}, open_rows = ${ranges.openRows}, done = ${read.done}
    where job_id = ${job.id} and file_index = ${file.fileIndex}`;
  return { file: file.name, rows: read.rows, rejected: read.errorCount, durationMs: Date.now() - started, fileDone: read.done };
}

/**
 * Checks one chunk of records and returns its COPY text. Staged rows get the batch of their
 * entity key; direct rows (a FULL into empty tables) drop exact repeats of a row of the same
 * key, which in a file sorted by key (as KBO files are) are always next to each other.
 */
function checkChunk(
  chunk: CsvChunkAt,
  plan: FilePlan,
  file: ImportJobFile,
  read: StepRead,
  reject: (e: RowError) => void,
  tail: (string | number | null)[],
  jobId: number,
): string {
  const badLines = new Set<number>();
  for (const p of chunk.problems) {
    badLines.add(p.line);
    const code = p.fatal ? 'UNTERMINATED_QUOTE' : 'MALFORMED_QUOTES';
    reject({ file: plan.name, line: p.line, column: null, value: null, code, message: `${plan.name} line ${p.line} ${p.message}.` });
  }
  // A record with a quoting problem is rejected whole, whatever its fields look like.
  let records = badLines.size ? chunk.records.filter((r) => !badLines.has(r.line)) : chunk.records;
  if (read.end.offset === 0 && records.length) {
    const headerError = checkHeader(plan.name, plan.columns, records[0]?.fields);
    if (headerError) {
      reject(headerError);
      return '';
    }
    records = records.slice(1);
  }
  const { valid, invalid } = mapRecords(plan.name, plan.columns, records);
  invalid.forEach(reject);
  let text = '';
  if (file.target === 'direct') {
    for (const row of valid) {
      const key = row.values[0] as string;
      const line = copyLine([...row.values, ...tail]);
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
  } else {
    for (const row of valid) {
      const key = row.values[0] as string;
      const batch = read.ranges ? read.ranges.assign(key) : batchOf(key, file.batches);
      read.perBatch.set(batch, (read.perBatch.get(batch) ?? 0) + 1);
      text += copyLine([jobId, batch, file.operation, row.line, ...row.values]);
    }
    read.rows += valid.length;
  }
  return text;
}

/** Counts an entry's inflated bytes: a zip can understate a file's size, and we never inflate past what it declared. */
function declared(source: Readable, declaredBytes: number, name: string): Readable {
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > declaredBytes) {
        done(pastDeclared(name, declaredBytes));
        return;
      }
      done(null, chunk);
    },
  });
  source.once('error', (err) => counted.destroy(damagedOr(err, name) as Error));
  source.pipe(counted);
  return counted;
}

function pastDeclared(name: string, declaredBytes: number): ImportFailure {
  return new ImportFailure(
    'VALIDATION',
    `${name} unpacks to more than the ${declaredBytes.toLocaleString('en')} bytes its zip entry declares; the zip was refused as a possible zip bomb.`,
    { file: name },
  );
}

function damaged(name: string, err: Error): ImportFailure {
  return new ImportFailure(
    'VALIDATION',
    `${name} is damaged inside the zip (it cannot be decompressed: ${err.message}); nothing was imported. Download the extract again and upload it as it comes.`,
    { file: name },
  );
}

function damagedOr(err: unknown, name: string): unknown {
  if (err instanceof ImportFailure) return err;
  // yauzl also checks an entry against its declared size.
  const over = /too many bytes in the stream\. expected (\d+)/.exec((err as Error).message ?? '');
  if (over) return pastDeclared(name, Number(over[1]));
  const code = (err as { code?: unknown }).code;
  // zlib and yauzl errors (not the database's) mean the entry itself is damaged.
  if (typeof code === 'string' && code.startsWith('Z_')) return damaged(name, err as Error);
  if (err instanceof Error && /too many bytes|not enough bytes|invalid (block|distance|code)|unexpected end of file/i.test(err.message)) return damaged(name, err);
  return err;
}

/** The failure that ends a prepare, naming the first bad row; the rows go to import_errors. */
function refusal(jobId: number, verdict: string, first: RowError, read: StepRead, total = read.errorCount): ImportFailure {
  return new ImportFailure('VALIDATION', `${verdict} First problem: ${first.message} Fix the file and upload it again.`, {
    jobId,
    errorCount: total,
    errors: read.errors.slice(0, 20),
    rowErrors: read.errors,
  });
}

export async function insertRowErrors(tx: Tx, jobId: number, errors: RowError[]): Promise<void> {
  if (!errors.length) return;
  await tx`insert into import_errors ${tx(errors.map((e) => ({ job_id: jobId, ...e })), 'job_id', 'file', 'line', 'column', 'value', 'code', 'message')}`;
}

/**
 * A prepare that cannot go on: record why (and the bad rows) and leave the register as it
 * was. Staged rows are simply dropped; rows a FULL already copied into the final tables are
 * removed by undo steps (the job passes through `cancelling`, and ends `failed`).
 */
export async function failPrepare(sql: Sql, jobId: number, failure: ImportFailure): Promise<void> {
  const details = failure.details as { rowErrors?: RowError[] } | undefined;
  const rowErrors = details?.rowErrors ?? [];
  if (details?.rowErrors) delete details.rowErrors; // stored in import_errors, not in the response
  await sql.begin(async (tx) => {
    const [job] = await tx<{ status: string; source: ZipSourceRef | null }[]>`select status, source from import_jobs where id = ${jobId} for update`;
    if (job?.status !== 'preparing') return;
    const [kept] = await tx<{ n: number }[]>`select count(*)::int as n from import_errors where job_id = ${jobId}`;
    await insertRowErrors(tx, jobId, rowErrors.slice(0, Math.max(0, MAX_KEPT_ERRORS - (kept?.n ?? 0))));
    const [written] = await tx<{ n: number }[]>`
      select count(*)::int as n from import_job_batches where job_id = ${jobId} and status = 'completed'`;
    const error = JSON.stringify({ code: failure.code, message: failure.message });
    if ((written?.n ?? 0) > 0) {
      await startUndo(tx, jobId, 'cancelling');
      await tx`update import_jobs set error = ${error}::jsonb where id = ${jobId}`;
    } else {
      await clearStaging(tx, jobId);
      // Batches staged by earlier steps will never run.
      await tx`delete from import_job_batches where job_id = ${jobId}`;
      await dropUpload(tx, job.source);
      await tx`update import_jobs set status = 'failed', finished_at = now(), error = ${error}::jsonb where id = ${jobId}`;
    }
  });
}
