import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { filesFor, tableSpec, type ColumnSpec, type DataTableName, type FilePlan } from '../../../kbo/spec';
import type { Sql, Tx } from '../../../db/client';
import type { ImportJobFile, ZipSourceRef } from '../../../db/schema';
import { ident, identList, withoutJit } from '../../../db/sql';
import { ImportFailure } from '../../../errors';
import type { CsvChunkAt } from '../../read/csv';
import { damagedOr, readEntry } from '../../read/inflate';
import { batchPartition, checkHeader, type RowError } from '../../read/rows';
import { savedRanges } from '../../read/key-ranges';
import { addStagedRows } from '../../sql/batches';
import { firstRowErrors, insertRowErrors, keptErrorCount } from '../../sql/errors';
import { advanceFile, lockNextFile, rejectedSoFar, unreadFileCount } from '../../sql/files';
import { findJob, type JobRow } from '../../sql/jobs';
import { insertCompletedBatch } from '../../state/batch-moves';
import { JOB } from '../../state/machine';
import { injectStagingDelay } from '../faults';
import { inHalfPool } from '../../../db/slots';
import { primaryNamesBetween } from '../primary-names';
import { currentMatches } from '../../sql/keys';
import { repeatedKey } from '../../read/keys';
import { checkChunk, startRead, type ChunkContext, type StepRead, type UnsureRow } from './chunk';
import { countVerdict, fatalVerdict, refusal, stepVerdict, StepRejections } from './policy';
import { extractOf, keepReader, takeReader } from './readers';
import { completePrepare, failPrepare } from './complete';

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
  /** How long each chunk took, on average (read, checked and copied): the pace of the next step. */
  chunkMs?: number;
}

/**
 * Prepare steps until the budget runs out: each stages the next stretch of one file and
 * commits it with the file's new position. Several drivers can step one job: each locks a
 * different file. Returns [] when there is nothing this driver can do now.
 */
export async function prepareSteps(sql: Sql, jobId: number, budgetMs: number): Promise<StepOutcome[]> {
  const deadline = Date.now() + budgetMs;
  const out: StepOutcome[] = [];
  let paceMs = 0;
  do {
    const step = await prepareStep(sql, jobId, deadline);
    if (step === 'complete') {
      if (await completePrepare(sql, jobId)) out.push({ file: null, rows: 0, rejected: 0, durationMs: 0, fileDone: true });
      break;
    }
    if (!step) break;
    out.push(step);
    if (step.failed) break;
    paceMs = step.chunkMs ?? 0;
    // Another step only when one chunk more, at this step's pace, still ends by the deadline.
  } while (oneMoreFits(paceMs, deadline));
  return out;
}

async function prepareStep(sql: Sql, jobId: number, deadline: number): Promise<StepOutcome | 'complete' | undefined> {
  const started = Date.now();
  let stepping = false;
  try {
    // The step's transaction holds a connection while its reader takes others for the zip's parts.
    return await inHalfPool(sql, () => sql.begin(async (tx) => {
      // A share lock on the job for the whole step: cancel (which locks it for update) waits
      // for a step in flight, and a step never starts on a job that is no longer preparing.
      await withoutJit(tx);
      const job = await findJob(tx, jobId, 'share');
      if (job?.status !== JOB.preparing) return undefined;
      stepping = true;
      const file = await lockNextFile(tx, jobId);
      if (!file) return (await unreadFileCount(tx, jobId)) === 0 ? 'complete' : undefined;
      return stageStep({ sql, tx, job, file, deadline, started });
    }));
  } catch (err) {
    // A refused file ends the job (`failed`, with the reason); the caller reads that in the status.
    if (!stepping || !(err instanceof ImportFailure) || err.code !== 'VALIDATION') throw err;
    await failPrepare(sql, jobId, err);
    return { file: (err.details as { file?: string } | undefined)?.file ?? null, rows: 0, rejected: 0, durationMs: Date.now() - started, fileDone: false, failed: true };
  }
}

/** One step: where it runs and what it works on. */
interface Step {
  sql: Sql;
  tx: Tx;
  job: JobRow;
  file: ImportJobFile;
  deadline: number;
  started: number;
}

/** One step's transaction: read the next stretch of the file, COPY it, check the verdicts, record it all. */
async function stageStep(step: Step): Promise<StepOutcome> {
  const { job, file } = step;
  const extract = await extractOf(step.sql, { id: job.id, source: job.source as ZipSourceRef });
  const entry = extract.files.find((f) => f.name === file.name);
  const plan = filesFor(job.extractType as 'full' | 'update').find((p) => p.name === file.name);
  if (!entry || !plan) throw new ImportFailure('INTERNAL', `${file.name} is no longer in this import's zip.`);
  await injectStagingDelay(step.tx);

  const read = startRead(file, job.batchSize);
  const key = `${job.id}:${file.fileIndex}`;
  const chunks = takeReader(step.sql, key, read.end.offset) ?? readEntry(entry.open, entry.uncompressedSize, file.name, read.end);
  const rejections = new StepRejections(await keptErrorCount(step.tx, job.id));
  const direct = file.target === 'direct';
  const context: ChunkContext = { plan, file, jobId: job.id, tail: direct ? [job.extractNumber, job.snapshotDate] : [], reject: (e) => rejections.add(e) };
  let chunkMs: number;
  try {
    chunkMs = await copyStretch(step, chunks, read, context, rejections);
    await judgeStep(step, read, rejections, plan);
  } catch (err) {
    void chunks.return(undefined);
    throw err;
  }
  if (!read.done) keepReader(step.sql, key, read.end.offset, chunks);
  await recordStep(step, read, rejections);
  return { file: file.name, rows: read.rows, rejected: rejections.count, durationMs: Date.now() - step.started, fileDone: read.done, chunkMs };
}

/**
 * A FULL copied into empty tables writes each enterprise with its primary name, from the
 * denominations copied before it (`lockNextFile` hands out that file only once the
 * denomination file is done): its rows are never updated afterwards, and no call grows with
 * the register. Unsorted files are named again at finalize, as they always were.
 */
function namesAtCopy(file: ImportJobFile): boolean {
  return file.target === 'direct' && file.tableName === 'enterprises';
}

/** The lowest and highest first field of these records (byte order, as the key indexes), past the header. */
function keyRange(records: CsvChunkAt['records'], header: boolean): [string, string] {
  const from = header ? 1 : 0;
  let lo = records[from]?.fields[0] ?? '';
  let hi = lo;
  for (let i = from; i < records.length; i++) {
    const r = records[i] as CsvChunkAt['records'][number];
    const k = r.fields[0] ?? '';
    if (k < lo) lo = k;
    else if (k > hi) hi = k;
  }
  return [lo, hi];
}

/**
 * Checks chunks and COPYs them until the deadline (at least one chunk, so every step moves
 * on): one COPY statement per chunk, the next chunk read and checked while the database takes
 * the one before. Waiting for each COPY to complete keeps the database at most two chunks
 * behind the deadline; one COPY fed from a stream would be as far behind as the socket's
 * buffers hold, which made steps seconds longer than their budget. A further chunk is taken
 * only when the step, at its pace so far, can still end by the deadline (`oneMoreFits`).
 * Returns that pace, in ms a chunk.
 */
async function copyStretch(step: Step, chunks: AsyncGenerator<CsvChunkAt>, read: StepRead, context: ChunkContext, rejections: StepRejections): Promise<number> {
  const { tx, job, file } = step;
  const naming = namesAtCopy(file);
  const columns = [...context.plan.columns.map((c) => c.column), ...(file.target === 'direct' ? ['extract_number', 'snapshot_date'] : [])];
  if (naming) columns.push('primary_name');
  const copy = async (text: string) => {
    const writable =
      file.target === 'direct'
        ? await tx`copy ${ident(tx, file.tableName)} (${identList(tx, columns)}) from stdin`.writable()
        : await tx`copy ${ident(tx, context.plan.staging)} (job_id, batch_number, operation, line, ${identList(tx, columns)}) from stdin`.writable();
    await pipeline(Readable.from([text]), writable);
  };
  let inFlight: Promise<void> | null = null;
  const began = Date.now();
  let pulled = 0;
  try {
    for (; pulled === 0 || oneMoreFits((Date.now() - began) / pulled, step.deadline); pulled++) {
      const next = await chunks.next();
      if (next.done) {
        read.done = true;
        break;
      }
      // While the file is in key order, a chunk's names are one range of keys (else finalize names them).
      let names: Map<string, string> | undefined;
      if (naming && read.sorted && next.value.records.length) {
        // Asked on the same connection, once the COPY before has ended.
        if (inFlight) await inFlight;
        inFlight = null;
        names = await primaryNamesBetween(tx, ...keyRange(next.value.records, read.end.offset === 0));
      }
      const checked = checkChunk(next.value, read, context, names);
      let text = checked.text;
      if (checked.unsure.length) {
        // Asked on the same connection, once the COPY before has ended.
        if (inFlight) await inFlight;
        inFlight = null;
        text += await settleUnsure(tx, context, read, checked.unsure);
      }
      read.end = next.value.end;
      // A row that refuses the file (or any bad row, fail-fast): the step ends, its copy unsent.
      const refused = rejections.fatal !== null || (job.onError === 'fail-fast' && rejections.count > 0);
      if (inFlight) await inFlight;
      inFlight = text && !refused ? copy(text) : null;
      // Keep a rejected COPY from going unheard while the next chunk is read.
      inFlight?.catch(() => undefined);
      if (refused) break;
    }
    if (inFlight) await inFlight;
  } catch (err) {
    throw damagedOr(err, file.name);
  }
  return (Date.now() - began) / Math.max(1, pulled);
}

/**
 * A FULL's one-row-per-key file out of key order, copied into empty tables: rows whose key an
 * earlier chunk already copied are a counted duplicate (the same row) or rejected (other
 * values); the others join the COPY. Returns their COPY text.
 */
async function settleUnsure(tx: Tx, c: ChunkContext, read: StepRead, rows: UnsureRow[]): Promise<string> {
  const spec = tableSpec(c.plan.table as DataTableName);
  const copied = await currentMatches(tx, spec, rows.map((r) => r.values));
  let text = '';
  for (const r of rows) {
    const same = copied.get(r.key);
    if (same === true) read.duplicates++;
    else if (same === false) c.reject(repeatedKey(c.plan.name, spec.columns[0] as ColumnSpec, r.key, r.line));
    else {
      read.rows++;
      text += r.copy;
    }
  }
  return text;
}

/**
 * Whether one more chunk, at `paceMs` a chunk, still ends by the deadline: taking it costs
 * about one chunk's time (read and checked while the COPY before runs), and its COPY another.
 */
function oneMoreFits(paceMs: number, deadline: number): boolean {
  return Date.now() + 2 * paceMs < deadline;
}

/** The step's verdicts: its own bad rows, a file with no header at all, and `maxRejected` so far. */
async function judgeStep(step: Step, read: StepRead, rejections: StepRejections, plan: FilePlan): Promise<void> {
  const { tx, job, file } = step;
  const refuse = (verdict: string, first: RowError, total = rejections.count) => refusal(job.id, verdict, first, total, rejections.kept, rejections.kept);
  const verdict = stepVerdict(job.onError, rejections, read.rows);
  if (verdict) throw refuse(verdict, rejections.fatal ?? (rejections.kept[0] as RowError));
  if (read.done && read.end.offset === 0) {
    const error = checkHeader(file.name, plan.columns, undefined) as RowError;
    rejections.add(error);
    throw refuse(fatalVerdict(error), error);
  }
  if (job.maxRejected !== null) {
    const total = (await rejectedSoFar(tx, job.id)) + rejections.count;
    const over = countVerdict(job.maxRejected, total, read.rows);
    if (over) {
      const [first] = await firstRowErrors(tx, job.id, 1);
      throw refuse(over, first ?? (rejections.kept[0] as RowError), total);
    }
  }
}

/** Writes what the step read: its rejected rows, its batches, and the file's new position. */
async function recordStep(step: Step, read: StepRead, rejections: StepRejections): Promise<void> {
  const { tx, job, file } = step;
  await insertRowErrors(tx, job.id, rejections.kept);
  if (file.target === 'direct') {
    if (read.rows + read.duplicates > 0) {
      await insertCompletedBatch(tx, {
        jobId: job.id,
        tableName: file.tableName,
        batchNumber: file.steps,
        rows: read.rows + read.duplicates,
        inserted: read.rows,
        duplicate: read.duplicates,
        startedAt: new Date(step.started),
      });
    }
  } else {
    const staged = [...read.perBatch].map(([batch, rows]) => ({ batch, rows, rangeStart: read.ranges?.startOf(batch) ?? null, partition: batchPartition(batch, file.batches) }));
    await addStagedRows(tx, job.id, file.tableName, file.operation, staged);
  }
  await advanceFile(tx, job.id, file.fileIndex, {
    end: read.end,
    rows: read.rows,
    rejected: rejections.count,
    duplicates: read.duplicates,
    runKey: read.runKey,
    runRows: [...read.runRows],
    sorted: read.sorted,
    ...savedRanges(read.ranges),
    done: read.done,
  });
}
