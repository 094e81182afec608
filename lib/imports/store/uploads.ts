import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Sql } from '../../db/client';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import { fileNameSchema, importOptions, type ImportOptions } from '../options';
import { lockUploads, lockUrl } from '../sql/locks';
import { abandonedUploads, findUpload, insertUpload, openUploadCount, PORTAL_SCHEME, storedParts, unstartedUploadOf, type UploadRow } from '../sql/uploads';
import { dropUnclaimedUpload, partBytes, savePart } from './parts';

/**
 * A zip too big for one request, sent in parts: the client creates the upload (name, size),
 * sends each part with its sha256 (any order, any number of times: a part that failed is sent
 * again), then completes it with the whole file's sha256 (jobs/start.ts). Parts are stored
 * where prepare steps read them (import_upload_parts, by offset). Or the server fetches the
 * zip from a URL, a part per request (fetch.ts).
 */

const SHA256 = /^[0-9a-f]{64}$/;

export const createUploadInput = importOptions.extend({
  fileName: fileNameSchema.refine((n) => n.toLowerCase().endsWith('.zip'), 'the file must be a .zip'),
  size: z.number().int().positive(),
});

export interface UploadView {
  uploadId: number;
  fileName: string;
  size: number;
  partSize: number;
  parts: number;
  /** Indexes of the parts stored so far. */
  received: number[];
  /** Bytes stored so far. */
  bytesReceived: number;
  url: string | null;
  /** Every byte stored and the whole file's sha256 checked. */
  complete: boolean;
}

export function maxUploadBytes(): number {
  return env().MAX_UPLOAD_MB * 1024 * 1024;
}

export function tooBig(fileName: string, size: number): ImportFailure {
  return new ImportFailure(
    'PAYLOAD_TOO_LARGE',
    `${fileName} is ${(size / 1e6).toFixed(1)} MB, more than the ${env().MAX_UPLOAD_MB} MB this server accepts (MAX_UPLOAD_MB).`,
  );
}

/** Starts an upload in parts; the answer says how big each part must be. */
export async function createUpload(db: Sql, raw: z.input<typeof createUploadInput>): Promise<UploadView> {
  const input = createUploadInput.parse(raw);
  if (input.size > maxUploadBytes()) throw tooBig(input.fileName, input.size);
  const { fileName, size, ...options } = input;
  return newUpload(db, { fileName, size, url: null, options });
}

/**
 * An upload row with no parts yet (sha256 empty until it completes), sized in parts of
 * IMPORT_PART_BYTES. At most MAX_OPEN_UPLOADS are open at once (counted under a lock, so
 * concurrent starts cannot pass it): one more is refused, saying how to free a place.
 */
export async function newUpload(sql: Sql, u: { fileName: string; size: number; url: string | null; options: ImportOptions }): Promise<UploadView> {
  await dropAbandonedUploads(sql);
  const uploadId = await sql.begin(async (tx) => {
    await lockUploads(tx);
    const open = await openUploadCount(tx);
    const max = env().MAX_OPEN_UPLOADS;
    if (open >= max) {
      throw new ImportFailure(
        'RATE_LIMITED',
        `${open} uploads are open, the most this server keeps (MAX_OPEN_UPLOADS=${max}): complete or discard one (DELETE /api/uploads/:id), or wait until one is dropped, a day after it began.`,
        { retryAfterSeconds: 60 },
      );
    }
    return insertUpload(tx, { ...u, partSize: partBytes() });
  });
  return uploadView(sql, uploadId);
}

/**
 * Uploads never completed are dropped a day after they began (at most `limit` a call), so an
 * abandoned one neither keeps its parts nor holds a place: on every new upload and every cron tick.
 */
export async function dropAbandonedUploads(sql: Sql, limit = 100): Promise<number> {
  const ids = await abandonedUploads(sql, limit);
  for (const id of ids) await dropUnclaimedUpload(sql, id, { onlyIncomplete: true });
  return ids.length;
}

/** An upload its client gives up: dropped while incomplete and no import was made from it; otherwise refused. */
export async function discardUpload(sql: Sql, uploadId: number): Promise<void> {
  const u = await findUpload(sql, uploadId);
  if (!u) throw new ImportFailure('NOT_FOUND', `Upload #${uploadId} does not exist.`);
  if (u.url?.startsWith(PORTAL_SCHEME)) throw new ImportFailure('CONFLICT', `Upload #${uploadId} is the sync's download of ${u.fileName}; the sync keeps it.`);
  const complete = () => new ImportFailure('CONFLICT', `Upload #${uploadId} is complete: its import owns it now (cancel or roll back the import instead).`);
  if (u.sha256 !== '') throw complete();
  // Completed (or made into an import) between the read and the drop: refused the same way.
  if (!(await dropUnclaimedUpload(sql, uploadId, { onlyIncomplete: true }))) throw complete();
}

/**
 * The upload of `u.url` that no import was made from yet, else a new one: one at a time per
 * URL, so callers fetching one file at the same moment share one upload and one import.
 */
export async function sharedUpload(sql: Sql, u: { fileName: string; size: number; url: string; options: ImportOptions }): Promise<number> {
  await dropAbandonedUploads(sql);
  return sql.begin(async (tx) => {
    await lockUrl(tx, u.url);
    return (await unstartedUploadOf(tx, u.url)) ?? insertUpload(tx, { ...u, partSize: partBytes() });
  });
}

export type PartedUpload = UploadRow & { partSize: number; parts: number };

/** An upload sent in parts or fetched: its row and its number of parts. */
export async function loadUpload(sql: Sql, uploadId: number): Promise<PartedUpload> {
  const u = await findUpload(sql, uploadId);
  if (!u || u.partSize === null) throw new ImportFailure('NOT_FOUND', `Upload #${uploadId} does not exist (an upload not completed within a day is dropped); start it again.`);
  return { ...u, partSize: u.partSize, parts: Math.max(1, Math.ceil(u.size / u.partSize)) };
}

export async function uploadView(sql: Sql, uploadId: number): Promise<UploadView> {
  return viewOf(sql, await loadUpload(sql, uploadId));
}

/** The view of an upload already loaded: its row plus the parts stored so far. */
export async function viewOf(sql: Sql, u: PartedUpload): Promise<UploadView> {
  const parts = await storedParts(sql, u.id);
  return {
    uploadId: u.id,
    fileName: u.fileName,
    size: u.size,
    partSize: u.partSize,
    parts: u.parts,
    received: parts.map((p) => p.offset / u.partSize),
    bytesReceived: parts.reduce((s, p) => s + p.bytes, 0),
    url: u.url,
    complete: u.sha256 !== '',
  };
}

export function expectedLength(u: { size: number; partSize: number; parts: number }, index: number): number {
  return index < u.parts - 1 ? u.partSize : u.size - u.partSize * (u.parts - 1);
}

/**
 * Stores part `index` after checking its length (every part but the last is exactly the part
 * size) and its sha256. Sending a part again replaces it: the last good copy counts.
 */
export async function putPart(sql: Sql, uploadId: number, index: number, data: Uint8Array, sha256: string): Promise<UploadView> {
  const u = await loadUpload(sql, uploadId);
  if (u.sha256 !== '') throw new ImportFailure('CONFLICT', `Upload #${uploadId} is already complete; its parts cannot change.`);
  if (u.url !== null) throw new ImportFailure('CONFLICT', `Upload #${uploadId} is fetched from ${u.url}; it takes no parts.`);
  if (!Number.isInteger(index) || index < 0 || index >= u.parts) {
    throw new ImportFailure('VALIDATION', `${u.fileName} has parts 0 to ${u.parts - 1}; there is no part ${index}.`);
  }
  const want = expectedLength(u, index);
  if (data.byteLength !== want) {
    throw new ImportFailure(
      'VALIDATION',
      `Part ${index} of ${u.fileName} arrived with ${data.byteLength.toLocaleString('en')} bytes; it must have ${want.toLocaleString('en')}. Send it again.`,
      { part: index, expected: want, got: data.byteLength },
    );
  }
  const declared = sha256.toLowerCase();
  if (!SHA256.test(declared)) throw new ImportFailure('VALIDATION', `Send part ${index}'s sha256 as 64 hex digits (header X-Part-Sha256).`);
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== declared) {
    throw new ImportFailure(
      'VALIDATION',
      `Part ${index} of ${u.fileName} arrived damaged: its sha256 is ${actual}, not ${declared} as sent. Send it again.`,
      { part: index, expected: declared, got: actual },
    );
  }
  await savePart(sql, uploadId, index * u.partSize, data);
  return viewOf(sql, u);
}

/** The parts an upload still lacks (by index). */
export function missingParts(u: PartedUpload, view: UploadView): number[] {
  return [...Array(u.parts).keys()].filter((i) => !view.received.includes(i));
}
