import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Sql } from '../../db/client';
import type { ZipSourceRef } from '../../db/schema';
import { ImportFailure } from '../../errors';
import type { ZipSource } from '../read/source';
import { findUpload, partsCovering } from '../sql/uploads';
import { partFromStore } from './parts';

/** A zip's bytes on this machine's disk (the CLI) or stored in the database, read by range. */

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
  const u = await findUpload(sql, uploadId);
  if (!u) throw new ImportFailure('PRECONDITION_FAILED', `The uploaded zip of this import is no longer stored; upload the file again.`);
  async function* read(start: number, end: number): AsyncGenerator<Buffer> {
    let pos = start;
    while (pos < end) {
      const parts = await partsCovering(sql, uploadId, pos, end, PARTS_PER_QUERY);
      const gap = () => new ImportFailure('PRECONDITION_FAILED', `The stored upload #${uploadId} is missing bytes from ${pos}; upload the file again.`);
      if (parts.length === 0) throw gap();
      for (const p of parts) {
        const offset = Number(p.offset);
        if (offset > pos) throw gap();
        // From the database, the part's bytes from `pos` to `end` already; from a store, the whole part.
        const slice = p.data ?? (await partFromStore(uploadId, offset)).subarray(pos - offset, end - offset);
        pos += slice.length;
        yield slice;
      }
    }
  }
  return { size: u.size, range: (start, end) => Readable.from(read(start, end), { objectMode: false }) };
}

export async function openSource(sql: Sql, ref: ZipSourceRef): Promise<ZipSource> {
  return ref.kind === 'upload' ? uploadSource(sql, ref.uploadId) : fileSource(ref.path);
}

/** sha256 of a source's bytes, streamed. */
export async function sha256Of(source: ZipSource): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of source.range(0, source.size)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
