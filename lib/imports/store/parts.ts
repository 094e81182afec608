import { createHash } from 'node:crypto';
import type { Queryable, Sql, Tx } from '../../db/client';
import type { ZipSourceRef } from '../../db/schema';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import { jobOfUpload } from '../sql/jobs';
import { lockSequence } from '../sql/locks';
import { deleteUpload, externalPartOffsets, findUpload, insertUpload, markUploadComplete, upsertPart } from '../sql/uploads';
import { objectStore } from './object-store';

/**
 * Where a stored zip's bytes live: as parts at offsets, each in its row (the default) or in
 * the object store with only its length in the row (IMPORT_STORE=s3).
 */

/** Bytes per stored part, for every way a zip arrives: one upload, parts sent by a client, a fetch. */
export const partBytes = () => env().IMPORT_PART_BYTES;

/**
 * Stores a zip in the database, streaming it in parts, and hashes it on the way. One
 * transaction: an interrupted upload leaves nothing behind.
 */
export async function storeUpload(
  sql: Sql,
  fileName: string,
  body: Uint8Array | AsyncIterable<Uint8Array>,
): Promise<{ uploadId: number; sha256: string; size: number }> {
  const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = body instanceof Uint8Array ? [body] : body;
  return sql.begin(async (tx: Tx) => {
    const uploadId = await insertUpload(tx, { fileName, size: 0, partSize: null, url: null, options: {} });
    const hash = createHash('sha256');
    const partSize = partBytes();
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (all: boolean) => {
      let buf = Buffer.concat(pending);
      while (buf.length >= partSize || (all && buf.length > 0)) {
        const part = buf.subarray(0, partSize);
        await savePart(tx, uploadId, size - pendingBytes, part);
        pendingBytes -= part.length;
        buf = buf.subarray(part.length);
      }
      pending = buf.length ? [buf] : [];
    };
    for await (const chunk of chunks) {
      const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      hash.update(b);
      size += b.length;
      pending.push(b);
      pendingBytes += b.length;
      if (pendingBytes >= partSize) await flush(false);
    }
    await flush(true);
    const sha256 = hash.digest('hex');
    await markUploadComplete(tx, uploadId, sha256, size);
    return { uploadId, sha256, size };
  });
}

/**
 * Stores one part of an upload. Storing a part again replaces it, or with `keepFirst` leaves
 * the first copy (a fetched part is the same bytes every time).
 */
export async function savePart(sql: Queryable, uploadId: number, offset: number, data: Uint8Array, keepFirst = false): Promise<void> {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const store = objectStore();
  if (store) await store.put(store.keyOf(uploadId, offset), bytes);
  await upsertPart(sql, uploadId, offset, bytes.length, store ? null : bytes, keepFirst);
}

export async function partFromStore(uploadId: number, offset: number): Promise<Buffer> {
  const store = objectStore();
  if (!store) throw new ImportFailure('PRECONDITION_FAILED', `Part ${offset} of upload #${uploadId} is in an object store, but IMPORT_STORE is not s3 here; configure the store it was uploaded to.`);
  return store.get(store.keyOf(uploadId, offset));
}

/** Drops a stored upload's bytes, in the object store too (the job keeps its name, size and sha256). */
export async function dropUpload(sql: Queryable, ref: ZipSourceRef | null | undefined): Promise<void> {
  if (ref?.kind !== 'upload') return;
  await dropUploadById(sql, ref.uploadId);
}

export async function dropUploadById(sql: Queryable, uploadId: number): Promise<void> {
  const store = objectStore();
  if (store) for (const offset of await externalPartOffsets(sql, uploadId)) await store.delete(store.keyOf(uploadId, offset));
  await deleteUpload(sql, uploadId);
}

/**
 * Drops an upload only if no import was made from it (and, with `onlyIncomplete`, only while
 * it is not complete), under the sequence lock that creating an import takes: a call that
 * fails never takes away the bytes another call's import is reading. Says whether it dropped it.
 */
export async function dropUnclaimedUpload(sql: Sql, uploadId: number, opts: { onlyIncomplete?: boolean } = {}): Promise<boolean> {
  return sql.begin(async (tx) => {
    await lockSequence(tx);
    const u = await findUpload(tx, uploadId);
    if (!u || (await jobOfUpload(tx, uploadId)) !== undefined) return false;
    if (opts.onlyIncomplete && u.sha256 !== '') return false;
    await dropUploadById(tx, uploadId);
    return true;
  });
}
