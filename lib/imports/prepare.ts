import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DATA_TABLES, KBO_TABLES, type TableName } from '../datasets/kbo';
import type { Db, Sql, Tx } from '../db/client';
import type { StagingProgress } from '../db/schema';
import { ident } from '../db/sql';
import { env } from '../env';
import { ImportFailure } from './errors';
import { injectStagingDelay } from './faults';
import { ACTIVE_STATUSES, statusLabel, VOID_STATUSES, type JobStatus } from './job-states';
import type { RowError } from './rows';
import { batchesFor, stageFile, MAX_KEPT_ERRORS } from './stage';
import { getJobStatus, type JobStatusView } from './status';
import { openExtract, type OpenedExtract } from './zip';

export const prepareInput = z.object({
  fileName: z.string().min(1).max(255),
  data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'data must be the zip bytes'),
  force: z.boolean().default(false),
  batchSize: z.number().int().min(1).max(200_000).optional(),
  /** Bad rows: `continue` (default) rejects them into import_errors; `fail-fast` refuses the file. */
  onError: z.enum(['continue', 'fail-fast']).optional(),
  /** In `continue` mode, fail past this many rejected rows… */
  maxRejected: z.number().int().min(0).optional(),
  /** …or past this percentage of all rows (default IMPORT_MAX_REJECTED_PERCENT). */
  maxRejectedPercent: z.number().min(0).max(100).optional(),
});
export type PrepareInput = z.input<typeof prepareInput>;

/** Bytes per row of a `<table>_delete.csv` (one quoted key and a newline). */
const DELETE_BYTES_PER_ROW = 16;
const SHOWN_ERRORS = 20;


/**
 * prepare: validate the zip, refuse a repeat or an out-of-sequence extract, stream every
 * CSV into staging with COPY, and create the batch rows. Staging runs in one transaction,
 * so a failure leaves nothing staged; the job row records what went wrong.
 */
export async function prepareImport(db: Db, raw: PrepareInput): Promise<JobStatusView> {
  const input = prepareInput.parse(raw);
  const sql = db.$client;
  const data = Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const batchSize = input.batchSize ?? env().IMPORT_BATCH_SIZE;
  const policy: RejectPolicy = {
    onError: input.onError ?? env().IMPORT_ON_ERROR,
    maxRejected: input.maxRejected ?? env().IMPORT_MAX_REJECTED ?? null,
    maxRejectedPercent: input.maxRejectedPercent ?? env().IMPORT_MAX_REJECTED_PERCENT ?? null,
  };
  const extract = await openExtract(data);
  const { meta } = extract;

  const jobId = await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('kbo-import-sequence'))`;
    await checkSequence(tx, sha256, extract, input.force);
    const mode = meta.extractType === 'full' ? 'initial' : 'update';
    const [row] = await tx<{ id: number }[]>`
      insert into import_jobs (file_name, file_size, sha256, extract_number, extract_type, snapshot_date,
                               extract_timestamp, status, mode, forced, batch_size, warnings,
                               on_error, max_rejected, max_rejected_percent)
      values (${input.fileName}, ${data.length}, ${sha256}, ${meta.extractNumber}, ${meta.extractType},
              ${meta.snapshotDate}, ${meta.extractTimestamp}, 'preparing', ${mode}, ${input.force}, ${batchSize},
              ${JSON.stringify(extract.warnings)}::jsonb,
              ${policy.onError}, ${policy.maxRejected}, ${policy.maxRejectedPercent})
      returning id`;
    return (row as { id: number }).id;
  });

  try {
    await stageAll(sql, jobId, extract, batchSize, policy);
  } catch (err) {
    await markFailed(sql, jobId, err);
    throw err;
  }
  return getJobStatus(db, jobId);
}

async function checkSequence(tx: Tx, sha256: string, extract: OpenedExtract, force: boolean): Promise<void> {
  const { meta } = extract;
  const [active] = await tx<{ id: number; extract_number: number; status: JobStatus; sha256: string; stale: boolean }[]>`
    select id, extract_number, status, sha256,
           -- the grace period covers the moment between creating the job and its staging taking the lock
           status = 'preparing' and created_at < now() - make_interval(secs => ${env().IMPORT_PREPARE_GRACE_SECONDS})
             and pg_try_advisory_xact_lock(hashtext('kbo-import-prepare'), id) as stale
    from import_jobs where status = any(${ACTIVE_STATUSES}::text[]) limit 1`;
  if (active?.stale) {
    // Its prepare holds that lock for as long as it runs: we got it, so that prepare died.
    await tx`update import_jobs set status = 'failed', finished_at = now(),
               error = ${JSON.stringify({ code: 'INTERNAL', message: 'Preparing was interrupted; upload the file again.' })}::jsonb
             where id = ${active.id}`;
  }
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
  if (active && !active.stale) {
    const what =
      active.status === 'paused'
        ? 'is paused; resume it or cancel it first'
        : active.status === 'cancelling' || active.status === 'rolling_back'
          ? `is being ${active.status === 'cancelling' ? 'cancelled' : 'rolled back'}; let that finish first`
          : 'is still in progress; let it finish first';
    throw new ImportFailure('CONFLICT', `Import #${active.id} (extract ${active.extract_number}) ${what}.`, { jobId: active.id });
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
    const nonEmpty = await firstNonEmptyTable(tx);
    if (nonEmpty) {
      throw new ImportFailure(
        'PRECONDITION_FAILED',
        `The database already holds register data (${nonEmpty} has current rows). Loading a FULL extract on top of it (a resync) is not supported yet; import the daily UPDATE extracts instead.`,
        { table: nonEmpty },
      );
    }
    return;
  }
  if (force) return;
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
}

async function firstNonEmptyTable(tx: Tx): Promise<TableName | undefined> {
  for (const table of DATA_TABLES) {
    const [hit] = await tx`select 1 from ${ident(tx, table)} where is_current limit 1`;
    if (hit) return table;
  }
  return undefined;
}

export interface RejectPolicy {
  onError: 'continue' | 'fail-fast';
  maxRejected: number | null;
  maxRejectedPercent: number | null;
}

/**
 * Whether the rejected rows fail the import: always for an error after which a file cannot be
 * read on, for any bad row in `fail-fast`, and past a threshold in `continue`. Null: go on.
 */
export function rejectionVerdict(policy: RejectPolicy, rejected: number, rowsRead: number, fatal: RowError | null): string | null {
  if (rejected === 0) return null;
  if (fatal) return `${fatal.message} The rest of ${fatal.file} cannot be read reliably, so nothing was imported.`;
  if (policy.onError === 'fail-fast') return `${rejected} bad row${rejected === 1 ? '' : 's'} found and this import stops at the first (fail-fast); nothing was imported.`;
  const percent = (100 * rejected) / Math.max(1, rowsRead);
  const shown = percent < 0.1 ? percent.toPrecision(2) : percent.toFixed(1);
  if (policy.maxRejected !== null && rejected > policy.maxRejected) {
    return `${rejected} rows were rejected, more than the ${policy.maxRejected} allowed; nothing was imported.`;
  }
  if (policy.maxRejectedPercent !== null && percent > policy.maxRejectedPercent) {
    return `${rejected} rows were rejected (${shown}% of ${rowsRead}), more than the ${policy.maxRejectedPercent}% allowed; nothing was imported. Is this the right file?`;
  }
  return null;
}

async function stageAll(sql: Sql, jobId: number, extract: OpenedExtract, batchSize: number, policy: RejectPolicy): Promise<void> {
  const batchesPerTable = new Map<TableName, number>([['codes', 1]]);
  for (const t of KBO_TABLES) {
    const rows = extract.files
      .filter((f) => f.table === t.table)
      .reduce((sum, f) => sum + f.uncompressedSize / (f.operation === 'delete' ? DELETE_BYTES_PER_ROW : t.bytesPerRow), 0);
    batchesPerTable.set(t.table, batchesFor(rows, batchSize));
  }

  const progress: StagingProgress = {
    files: extract.files.length,
    filesDone: 0,
    file: null,
    bytesDone: 0,
    bytesTotal: extract.files.reduce((sum, f) => sum + f.uncompressedSize, 0),
    rows: 0,
  };
  const report = stagingReporter(sql, jobId, progress);

  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('kbo-import-prepare'), ${jobId})`;
    const errors: RowError[] = [];
    let errorCount = 0;
    let fatal: RowError | null = null;
    const fileRows: Record<string, number> = {};
    const batchRows: { table: string; op: string; batch: number; rows: number }[] = [];

    for (const file of extract.files) {
      const before = { bytes: progress.bytesDone, rows: progress.rows };
      progress.file = file.name;
      report();
      await injectStagingDelay();
      const staged = await stageFile(
        tx,
        {
          jobId,
          plan: file,
          batches: batchesPerTable.get(file.table) ?? 1,
          open: file.open,
          declaredBytes: file.uncompressedSize,
          onProgress: (bytes, rows) => {
            progress.bytesDone = before.bytes + bytes;
            progress.rows = before.rows + rows;
            report();
          },
        },
        errors.length,
      );
      progress.filesDone += 1;
      progress.bytesDone = before.bytes + file.uncompressedSize;
      progress.rows = before.rows + staged.rows;
      errors.push(...staged.errors);
      errorCount += staged.errorCount;
      fatal ??= staged.fatal;
      fileRows[file.name] = staged.rows;
      for (const [batch, rows] of staged.perBatch) batchRows.push({ table: file.table, op: file.operation, batch, rows });
    }

    const verdict = rejectionVerdict(policy, errorCount, progress.rows + errorCount, fatal);
    if (verdict) {
      const first = fatal ?? (errors[0] as RowError);
      throw new ImportFailure('VALIDATION', `${verdict} First problem: ${first.message} Fix the file and upload it again.`, {
        jobId,
        errorCount,
        errors: errors.slice(0, SHOWN_ERRORS),
        rowErrors: errors,
      });
    }
    // `continue`: the bad rows were left out of staging; keep them (the first MAX_KEPT_ERRORS) for the report.
    if (errors.length > 0) await insertRowErrors(tx, jobId, errors);

    await tx`
      insert into import_job_batches (job_id, table_name, operation, batch_number, row_count)
      select ${jobId}, t, o, b, r
      from unnest(${batchRows.map((b) => b.table)}::text[], ${batchRows.map((b) => b.op)}::text[],
                  ${batchRows.map((b) => b.batch)}::int[], ${batchRows.map((b) => b.rows)}::int[]) as u(t, o, b, r)`;
    const done = await tx`
      update import_jobs set status = 'running', prepared_at = now(),
        counts = ${JSON.stringify({ files: fileRows, batchesPerTable: Object.fromEntries(batchesPerTable), rejected: errorCount })}::jsonb,
        staging = ${JSON.stringify({ ...progress, file: null })}::jsonb
      where id = ${jobId} and status = 'preparing'`;
    if (done.count === 0) {
      throw new ImportFailure('CONFLICT', `Import #${jobId} was given up as interrupted while it was being prepared; upload the file again.`);
    }
  });
}

/**
 * Staging runs in one transaction, invisible to others until it commits; so its progress is
 * written beside it, on the pool, at most twice a second and never two writes at once.
 */
function stagingReporter(sql: Sql, jobId: number, progress: StagingProgress): () => void {
  let last = 0;
  let writing = false;
  return () => {
    const now = Date.now();
    if (writing || now - last < 500) return;
    last = now;
    writing = true;
    sql`update import_jobs set staging = ${JSON.stringify(progress)}::jsonb where id = ${jobId} and status = 'preparing'`
      .catch((err) => console.error('[kbo-import] staging progress not recorded', err))
      .finally(() => {
        writing = false;
      });
  };
}

async function insertRowErrors(tx: Tx, jobId: number, errors: RowError[]): Promise<void> {
  const kept = errors.slice(0, MAX_KEPT_ERRORS);
  await tx`insert into import_errors ${tx(kept.map((e) => ({ job_id: jobId, ...e })), 'job_id', 'file', 'line', 'column', 'value', 'code', 'message')}`;
}

async function markFailed(sql: Sql, jobId: number, err: unknown): Promise<void> {
  const failure = err instanceof ImportFailure ? err : new ImportFailure('INTERNAL', 'Preparing the import failed on the server; see its log.');
  const details = failure.details as { rowErrors?: RowError[] } | undefined;
  const rowErrors = (details?.rowErrors ?? []).slice(0, MAX_KEPT_ERRORS);
  if (details?.rowErrors) delete details.rowErrors; // stored in import_errors, not in the response
  await sql.begin(async (tx) => {
    if (rowErrors.length) await insertRowErrors(tx, jobId, rowErrors);
    await tx`update import_jobs set status = 'failed', finished_at = now(),
               error = ${JSON.stringify({ code: failure.code, message: failure.message })}::jsonb
             where id = ${jobId}`;
  });
}
