import { z } from 'zod';
import { DATA_TABLES, KBO_TABLES, type TableName } from '../../datasets/kbo';
import type { Db, Tx } from '../../db/client';
import type { BatchOperation, ImportMode, ZipSourceRef } from '../../db/schema';
import { ident } from '../../db/sql';
import { env } from '../../env';
import { ImportFailure } from '../errors';
import { ACTIVE_STATUSES, statusLabel, VOID_STATUSES, type JobStatus } from '../state/machine';
import { prepareSteps } from './prepare-step';
import type { RejectPolicy, RowError } from '../read/rows';
import { batchesFor } from './staging';
import { getJobStatus, type JobStatusView } from '../view/status';
import { undoSteps } from './undo';
import { openExtract, type OpenedExtract } from '../read/zip';
import { dropUpload, fileSource, sha256Of, storeUpload, uploadSource, type ZipSource } from '../store/sources';

/** How an import treats its file: given with an upload, kept until it completes, applied at prepare. */
export const importOptions = z.object({
  /** Accept an UPDATE out of sequence. */
  force: z.boolean().optional(),
  /** Bad rows: `continue` (default) rejects them into import_errors; `fail-fast` refuses the file. */
  onError: z.enum(['continue', 'fail-fast']).optional(),
  /** In `continue` mode, fail past this many rejected rows… */
  maxRejected: z.number().int().min(0).optional(),
  /** …or past this percentage of all rows (default IMPORT_MAX_REJECTED_PERCENT). */
  maxRejectedPercent: z.number().min(0).max(100).optional(),
});
export type ImportOptions = z.infer<typeof importOptions>;

export const prepareInput = importOptions
  .extend({
    fileName: z.string().min(1).max(255),
    /** The zip's bytes (stored in the database for the prepare steps)… */
    data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'data must be the zip bytes').optional(),
    /** …or a zip already stored with storeUpload… */
    uploadId: z.number().int().positive().optional(),
    /** …or a zip on this machine's disk (the CLI): only a driver that can read it can prepare. */
    path: z.string().min(1).optional(),
    force: z.boolean().default(false),
    batchSize: z.number().int().min(1).max(200_000).optional(),
  })
  .refine((v) => [v.data, v.uploadId, v.path].filter((x) => x !== undefined).length === 1, 'give exactly one of data, uploadId or path');
export type PrepareInput = z.input<typeof prepareInput>;

/** Bytes per row of a `<table>_delete.csv` (one quoted key and a newline). */
const DELETE_BYTES_PER_ROW = 16;

/**
 * prepare, first part: validate the zip (its directory and meta.csv), refuse a repeat or an
 * out-of-sequence extract, and create the job in `preparing` with one row per CSV file. The
 * files are then staged by prepare steps (prepare-step.ts), which every driver runs through
 * process-batch, each within the time budget. Quick whatever the zip's size.
 */
export async function createImport(db: Db, raw: PrepareInput): Promise<JobStatusView> {
  const input = prepareInput.parse(raw);
  const sql = db.$client;
  const batchSize = input.batchSize ?? env().IMPORT_BATCH_SIZE;
  const policy: RejectPolicy = {
    onError: input.onError ?? env().IMPORT_ON_ERROR,
    maxRejected: input.maxRejected ?? env().IMPORT_MAX_REJECTED ?? null,
    maxRejectedPercent: input.maxRejectedPercent ?? env().IMPORT_MAX_REJECTED_PERCENT ?? null,
  };

  let ref: ZipSourceRef;
  let sha256: string;
  let size: number;
  let source: ZipSource;
  if (input.path !== undefined) {
    ref = { kind: 'file', path: input.path };
    source = await fileSource(input.path);
    sha256 = await sha256Of(source);
    size = source.size;
  } else {
    const stored = input.data ? await storeUpload(sql, input.fileName, input.data) : await describeUpload(sql, input.uploadId as number);
    ref = { kind: 'upload', uploadId: stored.uploadId };
    ({ sha256, size } = stored);
    source = await uploadSource(sql, stored.uploadId);
  }

  try {
    const extract = await openExtract(source);
    const { meta } = extract;
    const jobId = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('kbo-import-sequence'))`;
      const mode = await checkSequence(tx, sha256, extract, input.force);
      const [row] = await tx<{ id: number }[]>`
        insert into import_jobs (file_name, file_size, sha256, extract_number, extract_type, snapshot_date,
                                 extract_timestamp, status, mode, forced, batch_size, warnings,
                                 on_error, max_rejected, max_rejected_percent, source)
        values (${input.fileName}, ${size}, ${sha256}, ${meta.extractNumber}, ${meta.extractType},
                ${meta.snapshotDate}, ${meta.extractTimestamp}, 'preparing', ${mode}, ${input.force}, ${batchSize},
                ${JSON.stringify(extract.warnings)}::jsonb,
                ${policy.onError}, ${policy.maxRejected}, ${policy.maxRejectedPercent}, ${JSON.stringify(ref)}::jsonb)
        returning id`;
      const jobId = (row as { id: number }).id;
      const files = filePlans(extract, batchSize, mode);
      await tx`
        insert into import_job_files (job_id, file_index, name, table_name, operation, target, batches, declared_bytes)
        select ${jobId}, i, n, t, o, g, b, d
        from unnest(${files.map((_, i) => i)}::int[], ${files.map((f) => f.name)}::text[], ${files.map((f) => f.table)}::text[],
                    ${files.map((f) => f.operation)}::text[], ${files.map((f) => f.target)}::text[], ${files.map((f) => f.batches)}::int[],
                    ${files.map((f) => f.declaredBytes)}::bigint[]) as u(i, n, t, o, g, b, d)`;
      if (mode === 'resync') {
        // Every table's first batch exists from the start, so a table whose file is empty still
        // ends its current rows. Later batches are cut as prepare reads the keys.
        const tables = files.filter((f) => f.operation === 'resync').map((f) => f.table);
        await tx`
          insert into import_job_batches (job_id, table_name, operation, batch_number, row_count)
          select ${jobId}, t, 'resync', 0, 0 from unnest(${tables}::text[]) as u(t)`;
      }
      return jobId;
    });
    return getJobStatus(db, jobId);
  } catch (err) {
    if (ref.kind === 'upload') await dropUpload(sql, ref);
    throw err;
  }
}

/**
 * createImport, then prepare steps until every file is staged: the whole of prepare in one
 * call, for tests and for callers that do not need short requests. A refused file throws.
 */
export async function prepareImport(db: Db, raw: PrepareInput): Promise<JobStatusView> {
  const created = await createImport(db, raw);
  const jobId = created.job.id;
  const sql = db.$client;
  for (;;) {
    const steps = await prepareSteps(sql, jobId, 60_000);
    if (steps.length === 0) break;
  }
  // A refused FULL first removes the rows it had copied.
  while ((await undoSteps(sql, jobId, 60_000)).length > 0);
  const status = await getJobStatus(db, jobId);
  if (status.job.status === 'preparing') {
    throw new ImportFailure('CONFLICT', `Import #${jobId} is still being prepared by another driver.`, { jobId });
  }
  if (status.job.error) {
    const errors = await sql<RowError[]>`
      select file, line, "column", value, code, message from import_errors where job_id = ${jobId} order by id limit 20`;
    const [count] = await sql<{ n: number }[]>`select coalesce(sum(rejected), 0)::int as n from import_job_files where job_id = ${jobId}`;
    throw new ImportFailure(status.job.error.code as ImportFailure['code'], status.job.error.message, {
      jobId,
      errorCount: Math.max(count?.n ?? 0, errors.length),
      errors,
    });
  }
  return status;
}

interface PlannedFile {
  name: string;
  table: TableName;
  operation: BatchOperation;
  target: 'stage' | 'direct';
  batches: number;
  declaredBytes: number;
}

/**
 * Every CSV file of the extract, in order. A FULL into empty tables copies its data files
 * straight into the final tables (nothing there can be current already). A FULL into tables
 * that hold data (resync) is staged, and its batches are cut by key range as it is read.
 * An UPDATE is staged with batches sized from the zip's uncompressed sizes, about
 * `batchSize` rows each.
 */
function filePlans(extract: OpenedExtract, batchSize: number, mode: ImportMode): PlannedFile[] {
  const batchesPerTable = new Map<TableName, number>([['codes', 1]]);
  for (const t of KBO_TABLES) {
    const rows = extract.files
      .filter((f) => f.table === t.table)
      .reduce((sum, f) => sum + f.uncompressedSize / (f.operation === 'delete' ? DELETE_BYTES_PER_ROW : t.bytesPerRow), 0);
    batchesPerTable.set(t.table, batchesFor(rows, batchSize));
  }
  return extract.files.map((f) => {
    const data = f.table !== 'codes';
    const target = mode === 'initial' && data ? 'direct' : 'stage';
    return {
      name: f.name,
      table: f.table,
      operation: mode === 'resync' && data ? 'resync' : f.operation,
      target,
      batches: target === 'direct' || (mode === 'resync' && data) ? 0 : (batchesPerTable.get(f.table) ?? 1),
      declaredBytes: f.uncompressedSize,
    };
  });
}

async function describeUpload(sql: Db['$client'], uploadId: number): Promise<{ uploadId: number; sha256: string; size: number }> {
  const [u] = await sql<{ sha256: string; size: string }[]>`select sha256, size from import_uploads where id = ${uploadId}`;
  if (!u || !u.sha256) throw new ImportFailure('NOT_FOUND', `Upload #${uploadId} does not exist or is incomplete.`);
  return { uploadId, sha256: u.sha256, size: Number(u.size) };
}

/** Refuses a repeat, a conflicting or an out-of-sequence extract; otherwise says how to apply it. */
async function checkSequence(tx: Tx, sha256: string, extract: OpenedExtract, force: boolean): Promise<ImportMode> {
  const { meta } = extract;
  const [active] = await tx<{ id: number; extract_number: number; status: JobStatus }[]>`
    select id, extract_number, status from import_jobs where status = any(${ACTIVE_STATUSES}::text[]) limit 1`;
  const [same] = await tx<{ id: number; extract_number: number; status: JobStatus }[]>`
    select id, extract_number, status from import_jobs where sha256 = ${sha256} and status <> all(${VOID_STATUSES}::text[]) limit 1`;
  if (same && ACTIVE_STATUSES.includes(same.status)) {
    // The CLI resumes such a job (details.resumable) instead of treating it as a refusal.
    throw new ImportFailure(
      'CONFLICT',
      `This file is already being imported as import #${same.id} (extract ${same.extract_number}, ${statusLabel(same.status)}); open that import to follow or resume it.`,
      { jobId: same.id, status: same.status, resumable: true },
    );
  }
  if (same) {
    throw new ImportFailure('CONFLICT', `This file was already imported as import #${same.id} (extract ${same.extract_number}).`, { jobId: same.id });
  }
  if (active) {
    const what =
      active.status === 'paused'
        ? 'is paused; resume it or cancel it first'
        : active.status === 'cancelling' || active.status === 'rolling_back'
          ? `is being ${active.status === 'cancelling' ? 'cancelled' : 'rolled back'}; let that finish first`
          : active.status === 'preparing'
            ? 'is still being prepared; open it to drive it on, or cancel it first'
            : 'is still in progress; let it finish first';
    throw new ImportFailure('CONFLICT', `Import #${active.id} (extract ${active.extract_number}) ${what}.`, { jobId: active.id });
  }
  if (meta.extractType === 'full') {
    const [latest] = await tx<{ n: number | null }[]>`
      select max(extract_number) as n from import_jobs where status = 'completed'`;
    if (latest?.n != null && meta.extractNumber < latest.n) {
      // Never forced: resyncing to an older state would undo newer extracts' changes.
      throw new ImportFailure(
        'PRECONDITION_FAILED',
        `FULL ${meta.extractNumber} is older than extract ${latest.n}, which is already applied; a resync only moves the register forward. Import a FULL numbered ${latest.n + 1} or later.`,
        { latest: latest.n, got: meta.extractNumber },
      );
    }
  }
  // Undo finds a job's rows by extract number, so an extract is applied at most once.
  const [applied] = await tx<{ id: number }[]>`
    select id from import_jobs where status = 'completed' and extract_number = ${meta.extractNumber} limit 1`;
  if (applied) {
    throw new ImportFailure(
      'CONFLICT',
      `Extract ${meta.extractNumber} was already applied by import #${applied.id}; roll that import back before applying another file with the same extract number.`,
      { jobId: applied.id },
    );
  }
  const [last] = await tx<{ extract_number: number }[]>`
    select extract_number from import_jobs where status = 'completed' order by id desc limit 1`;

  if (meta.extractType === 'full') {
    // A FULL into tables that hold current rows compares with them (resync); into empty ones it is copied.
    return (await firstNonEmptyTable(tx)) ? 'resync' : 'initial';
  }
  if (force) return 'update';
  if (!last) {
    throw new ImportFailure('PRECONDITION_FAILED', `No extract has been imported yet, so UPDATE ${meta.extractNumber} has nothing to apply to. Import a FULL extract first (or force it).`);
  }
  if (meta.extractNumber !== last.extract_number + 1) {
    throw new ImportFailure(
      'PRECONDITION_FAILED',
      `UPDATE ${meta.extractNumber} is out of sequence: the last applied extract is ${last.extract_number}, so the next one must be ${last.extract_number + 1}. Import the missing extracts first (or force it).`,
      { expected: last.extract_number + 1, got: meta.extractNumber },
    );
  }
  return 'update';
}

async function firstNonEmptyTable(tx: Tx): Promise<TableName | undefined> {
  for (const table of DATA_TABLES) {
    const [hit] = await tx`select 1 from ${ident(tx, table)} where is_current limit 1`;
    if (hit) return table;
  }
  return undefined;
}

