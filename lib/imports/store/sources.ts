import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Sql, Tx } from '../../db/client';
import type { ZipSourceRef } from '../../db/schema';
import { ImportFailure } from '../errors';
import { objectStore } from './object-store';

/**
 * Random access to a zip's bytes, wherever they are: in memory, in a file on the driver's
 * disk, or stored in the database. The zip reader asks for byte ranges (the central
 * directory at the end, then one entry at a time), so nothing holds the whole zip.
 */
export interface ZipSource {
  size: number;
  /** The bytes [start, end). */
  range(start: number, end: number): Readable;
}

export function bufferSource(data: Uint8Array): ZipSource {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { size: buf.length, range: (start, end) => Readable.from([buf.subarray(start, end)]) };
}

export async function fileSource(path: string): Promise<ZipSource> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new ImportFailure('PRECONDITION_FAILED', `The zip ${path} cannot be read here; this import's prepare steps must run where that file is (the CLI that started it).`);
  }
  return { size, range: (start, end) => (end > start ? createReadStream(path, { start, end: end - 1 }) : Readable.from([])) };
}

/** Parts of an upload read per query while streaming a range. */
const PARTS_PER_QUERY = 4;

export async function uploadSource(sql: Sql, uploadId: number): Promise<ZipSource> {
  const [u] = await sql<{ size: number }[]>`select size from import_uploads where id = ${uploadId}`;
  if (!u) throw new ImportFailure('PRECONDITION_FAILED', `The uploaded zip of this import is no longer stored; upload the file again.`);
  const size = Number(u.size);
  async function* read(start: number, end: number): AsyncGenerator<Buffer> {
    let pos = start;
    while (pos < end) {
      const parts = await sql<{ offset: string; data: Buffer | null }[]>`
        select "offset", data from import_upload_parts
        where upload_id = ${uploadId} and "offset" + bytes > ${pos} and "offset" < ${end}
        order by "offset" limit ${PARTS_PER_QUERY}`;
      const gap = () => new ImportFailure('PRECONDITION_FAILED', `The stored upload #${uploadId} is missing bytes from ${pos}; upload the file again.`);
      if (parts.length === 0) throw gap();
      for (const p of parts) {
        const offset = Number(p.offset);
        if (offset > pos) throw gap();
        const data = p.data ?? (await partFromStore(uploadId, offset));
        const slice = data.subarray(pos - offset, Math.min(data.length, end - offset));
        pos += slice.length;
        yield slice;
      }
    }
  }
  return { size, range: (start, end) => Readable.from(read(start, end), { objectMode: false }) };
}

export async function openSource(sql: Sql, ref: ZipSourceRef): Promise<ZipSource> {
  return ref.kind === 'upload' ? uploadSource(sql, ref.uploadId) : fileSource(ref.path);
}

/** Bytes per stored part. */
export const UPLOAD_PART_BYTES = 1024 * 1024;

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
    const [row] = await tx<{ id: number }[]>`insert into import_uploads (file_name, size, sha256) values (${fileName}, 0, '') returning id`;
    const uploadId = (row as { id: number }).id;
    const hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (all: boolean) => {
      let buf = Buffer.concat(pending);
      while (buf.length >= UPLOAD_PART_BYTES || (all && buf.length > 0)) {
        const part = buf.subarray(0, UPLOAD_PART_BYTES);
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
      if (pendingBytes >= UPLOAD_PART_BYTES) await flush(false);
    }
    await flush(true);
    const sha256 = hash.digest('hex');
    await tx`update import_uploads set size = ${size}, sha256 = ${sha256} where id = ${uploadId}`;
    return { uploadId, sha256, size };
  });
}

/**
 * Stores one part of an upload: in its row (the default), or in the object store with only
 * its length in the row (IMPORT_STORE=s3). Storing a part again replaces it, or with
 * `keepFirst` leaves the first copy (a fetched part is the same bytes every time).
 */
export async function savePart(sql: Sql | Tx, uploadId: number, offset: number, data: Uint8Array, keepFirst = false): Promise<void> {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const store = objectStore();
  if (store) await store.put(store.keyOf(uploadId, offset), bytes);
  const kept = store ? null : bytes;
  if (keepFirst) {
    await sql`
      insert into import_upload_parts (upload_id, "offset", bytes, data) values (${uploadId}, ${offset}, ${bytes.length}, ${kept})
      on conflict (upload_id, "offset") do nothing`;
  } else {
    await sql`
      insert into import_upload_parts (upload_id, "offset", bytes, data) values (${uploadId}, ${offset}, ${bytes.length}, ${kept})
      on conflict (upload_id, "offset") do update set bytes = excluded.bytes, data = excluded.data`;
  }
}

async function partFromStore(uploadId: number, offset: number): Promise<Buffer> {
  const store = objectStore();
  if (!store) throw new ImportFailure('PRECONDITION_FAILED', `Part ${offset} of upload #${uploadId} is in an object store, but IMPORT_STORE is not s3 here; configure the store it was uploaded to.`);
  return store.get(store.keyOf(uploadId, offset));
}

/** Drops a stored upload's bytes, in the object store too (the job keeps its name, size and sha256). */
export async function dropUpload(sql: Sql | Tx, ref: ZipSourceRef | null | undefined): Promise<void> {
  if (ref?.kind !== 'upload') return;
  await dropUploadById(sql, ref.uploadId);
}

export async function dropUploadById(sql: Sql | Tx, uploadId: number): Promise<void> {
  const stored = await sql<{ offset: string }[]>`select "offset" from import_upload_parts where upload_id = ${uploadId} and data is null`;
  const store = objectStore();
  if (store) for (const p of stored) await store.delete(store.keyOf(uploadId, Number(p.offset)));
  await sql`delete from import_uploads where id = ${uploadId}`;
}

/** sha256 of a source's bytes, streamed. */
export async function sha256Of(source: ZipSource): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source.range(0, source.size)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
