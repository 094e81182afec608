import { z } from 'zod';
import { KBO_TABLES, type TableName } from '../../kbo/spec';
import type { Sql, Tx } from '../../db/client';
import type { ImportMode, ZipSourceRef } from '../../db/schema';
import { PARTITIONS } from '../../db/partitions';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import { fileNameSchema, importOptions } from '../options';
import { batchesFor, type RejectPolicy } from '../read/rows';
import type { ZipSource } from '../read/source';
import { openExtract, type OpenedExtract } from '../read/zip';
import { addFirstResyncBatches } from '../sql/batches';
import { insertJobFiles, type PlannedFile } from '../sql/files';
import { findJob, insertJob, jobOfFile, jobOfUpload, markIndexing, registerHead } from '../sql/jobs';
import { lockSequence } from '../sql/locks';
import { findUpload } from '../sql/uploads';
import { dropUnclaimedUpload, storeUpload } from '../store/parts';
import { fileSource, sha256Of, uploadSource } from '../store/sources';
import { defersIndexes, planIndexes } from './indexes';
import { checkSequence } from './sequence';

export const prepareInput = importOptions
  .extend({
    fileName: fileNameSchema,
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

/** What creating an import did. */
export interface CreatedImport {
  jobId: number;
  mode: ImportMode;
  extractNumber: number;
}

export interface CreateOptions {
  /**
   * A file already imported or being imported gives that import instead of a refusal (the
   * sync: it wants the file imported, not a second import of it). The new upload is dropped.
   */
  joinSameFile?: boolean;
}

/** Bytes per row of a `<table>_delete.csv` (one quoted key and a newline). */
const DELETE_BYTES_PER_ROW = 16;

/**
 * prepare, first part: validate the zip (its directory and meta.csv), refuse a repeat or an
 * out-of-sequence extract, and create the job in `preparing` with one row per CSV file. The
 * files are then staged by prepare steps (prepare/step.ts), which every driver runs through
 * step calls (POST …/step), each within the time budget. Quick whatever the zip's size.
 */
export async function createImport(sql: Sql, raw: PrepareInput, opts: CreateOptions = {}): Promise<CreatedImport> {
  const input = prepareInput.parse(raw);
  const batchSize = input.batchSize ?? env().IMPORT_BATCH_SIZE;
  const policy: RejectPolicy = {
    onError: input.onError ?? env().IMPORT_ON_ERROR,
    maxRejected: input.maxRejected ?? env().IMPORT_MAX_REJECTED ?? null,
    maxRejectedPercent: input.maxRejectedPercent ?? env().IMPORT_MAX_REJECTED_PERCENT ?? null,
  };
  const { ref, sha256, size, source } = await zipOf(sql, input);

  let joined = false;
  try {
    const extract = await openExtract(source);
    const { meta } = extract;
    const created = await sql.begin(async (tx) => {
      await lockSequence(tx);
      // Under the sequence lock, so two calls completing one upload (a retry after a lost
      // answer, a double click, two drivers) agree: the first makes the job, the others get it.
      const existing = await existingImport(tx, ref, sha256, opts);
      if (existing) {
        joined = existing.joined;
        return existing.created;
      }
      const mode = await checkSequence(tx, sha256, extract, input.force, input.preview === true);
      const jobId = await insertJob(tx, {
        fileName: input.fileName,
        fileSize: size,
        sha256,
        extractNumber: meta.extractNumber,
        extractType: meta.extractType,
        snapshotDate: meta.snapshotDate,
        extractTimestamp: meta.extractTimestamp,
        mode,
        forced: input.force,
        batchSize,
        warnings: extract.warnings,
        ...policy,
        source: ref,
        ...(input.preview ? { preview: { basis: await registerHead(tx) } } : {}),
      });
      const files = filePlans(extract, batchSize, mode);
      await insertJobFiles(tx, jobId, files);
      const csvBytes = extract.files.reduce((sum, f) => sum + f.uncompressedSize, 0);
      if (await planIndexes(tx, defersIndexes(mode, csvBytes, input.deferIndexes), mode)) await markIndexing(tx, jobId);
      // Every table's first batch exists from the start, so a table whose file is empty still
      // ends its current rows. Later batches are cut as prepare reads the keys.
      if (mode === 'resync') await addFirstResyncBatches(tx, jobId, files.filter((f) => f.operation === 'resync').map((f) => ({ table: f.table, partitioned: f.batches === PARTITIONS })));
      return { jobId, mode, extractNumber: meta.extractNumber };
    });
    // Joined another upload's import of the same file: this copy is not needed.
    if (joined && ref.kind === 'upload') await dropUnclaimedUpload(sql, ref.uploadId);
    return created;
  } catch (err) {
    // Only an upload no import refers to: another call may have made the job from it meanwhile.
    if (ref.kind === 'upload') await dropUnclaimedUpload(sql, ref.uploadId);
    throw err;
  }
}

/** Where the zip is, its sha256 and size, and a reader of it. */
async function zipOf(sql: Sql, input: z.output<typeof prepareInput>): Promise<{ ref: ZipSourceRef; sha256: string; size: number; source: ZipSource }> {
  if (input.path !== undefined) {
    const source = await fileSource(input.path);
    return { ref: { kind: 'file', path: input.path }, sha256: await sha256Of(source), size: source.size, source };
  }
  const stored = input.data ? await storeUpload(sql, input.fileName, input.data) : await storedUpload(sql, input.uploadId as number);
  return { ref: { kind: 'upload', uploadId: stored.uploadId }, sha256: stored.sha256, size: stored.size, source: await uploadSource(sql, stored.uploadId) };
}

/**
 * The import this call must give instead of a new one: the one already made from this upload,
 * or (joinSameFile) the one of the same file. Refuses an upload dropped meanwhile.
 */
async function existingImport(tx: Tx, ref: ZipSourceRef, sha256: string, opts: CreateOptions): Promise<{ created: CreatedImport; joined: boolean } | undefined> {
  let jobId: number | undefined;
  let joined = false;
  if (ref.kind === 'upload') {
    jobId = await jobOfUpload(tx, ref.uploadId);
    if (jobId === undefined && !(await findUpload(tx, ref.uploadId))) {
      throw new ImportFailure('NOT_FOUND', `Upload #${ref.uploadId} was dropped before its import began; upload the file again.`);
    }
  }
  if (jobId === undefined && opts.joinSameFile) {
    jobId = (await jobOfFile(tx, sha256))?.id;
    joined = jobId !== undefined;
  }
  if (jobId === undefined) return undefined;
  const job = await findJob(tx, jobId);
  if (!job) return undefined;
  return { created: { jobId, mode: job.mode ?? 'update', extractNumber: job.extractNumber ?? 0 }, joined };
}

/**
 * Every CSV file of the extract, in order. A FULL into empty tables copies its data files
 * straight into the final tables (nothing there can be current already). A FULL into tables
 * that hold data (resync) is staged, and its batches are cut by key range as it is read: within
 * each register partition (`batches` = the partitions) for a table large enough that UPDATE
 * batches would be aligned with partitions, else across the table (`batches` 0).
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
      batches:
        target === 'direct'
          ? 0
          : mode === 'resync' && data
            ? (batchesPerTable.get(f.table) ?? 1) >= PARTITIONS
              ? PARTITIONS
              : 0
            : (batchesPerTable.get(f.table) ?? 1),
      declaredBytes: f.uncompressedSize,
    };
  });
}

async function storedUpload(db: Sql, uploadId: number): Promise<{ uploadId: number; sha256: string; size: number }> {
  const u = await findUpload(db, uploadId);
  if (!u || !u.sha256) throw new ImportFailure('NOT_FOUND', `Upload #${uploadId} does not exist or is incomplete.`);
  return { uploadId, sha256: u.sha256, size: u.size };
}
