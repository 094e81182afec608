import { z } from 'zod';
import type { Sql } from '../../db/client';
import { ImportFailure } from '../../errors';
import { fileNameSchema, importOptions } from '../options';
import { PORTAL_SCHEME } from '../sql/uploads';
import { savePart } from './parts';
import { remoteGet, type RemoteResponse } from '../../net/remote';
import { expectedLength, loadUpload, maxUploadBytes, newUpload, tooBig, viewOf, type PartedUpload, type UploadView } from './uploads';

/** Fetching a zip from a URL, a part per HTTP range request, in steps a driver calls again. */

export const fetchUploadInput = importOptions.extend({
  url: z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'only http and https URLs can be fetched'),
});

/** Starts fetching a zip: asks the server its size (a one-byte range request). */
export async function createFetch(db: Sql, raw: z.input<typeof fetchUploadInput>): Promise<UploadView> {
  const { url, ...options } = fetchUploadInput.parse(raw);
  const fileName = nameFromUrl(url);
  const size = await remoteSize(url);
  if (size > maxUploadBytes()) throw tooBig(fileName, size);
  return newUpload(db, { fileName, size, url, options });
}

/** The last path segment as the file's name, when it makes one (decodable, no control characters). */
function nameFromUrl(url: string): string {
  const last = new URL(url).pathname.split('/').pop() || '';
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // a malformed escape: keep the segment as it is
  }
  return fileNameSchema.safeParse(name).success ? name : 'download.zip';
}

async function remoteSize(url: string): Promise<number> {
  const res = await fileGet(url, { range: 'bytes=0-0' }, 1);
  const total = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1];
  if (res.status === 206 && total) return Number(total);
  const length = Number(res.headers['content-length']);
  if (res.status === 200 && length > 0) return length;
  throw new ImportFailure('VALIDATION', `${url} did not say how big the file is (no Content-Range or Content-Length); download it and upload the file instead.`);
}

/** A GET that must bring the file (200) or the range asked for (206). */
async function fileGet(url: string, headers: Record<string, string>, maxBytes: number): Promise<RemoteResponse> {
  const res = await remoteGet(url, headers, maxBytes);
  if (res.status !== 200 && res.status !== 206) {
    throw new ImportFailure('VALIDATION', `${url} did not send the file; check the address, or download the file and upload it.`);
  }
  return res;
}

/**
 * Fetches the next missing parts, each with a range request, until `deadline` (at least one
 * per call, so every call moves the fetch on). Safe from several drivers: a part is stored
 * whole or not at all, and storing it twice changes nothing. Returns the upload as it stands.
 */
export async function fetchParts(sql: Sql, uploadId: number, deadline: number): Promise<UploadView> {
  const u = await loadUpload(sql, uploadId);
  if (u.url === null) throw new ImportFailure('CONFLICT', `Upload #${uploadId} is sent by its client in parts, not fetched.`);
  if (u.url.startsWith(PORTAL_SCHEME)) throw new ImportFailure('CONFLICT', `Upload #${uploadId} is fetched from the KBO portal by the sync (npm run sync, or the cron).`);
  const url = u.url;
  return fetchMissingParts(sql, u, deadline, async (start, end) => {
    const res = await fileGet(url, { range: `bytes=${start}-${end}` }, end + 1);
    // A server that ignores ranges sends the whole file: keep our part of it.
    return res.status === 200 ? res.body.subarray(start, end + 1) : res.body;
  }, (got, start, end) => new ImportFailure('VALIDATION', `${url} sent ${got} bytes for bytes ${start}–${end}; has the file changed? Start the fetch again.`));
}

/**
 * The parts of `u` not stored yet, each read with `range` (bytes start to end, inclusive) and
 * stored whole, until `deadline` (at least one per call). A part of the wrong length is
 * refused with `wrongLength`. Returns the upload as it stands.
 */
export async function fetchMissingParts(
  sql: Sql,
  u: PartedUpload,
  deadline: number,
  range: (start: number, end: number) => Promise<Buffer>,
  wrongLength: (got: number, start: number, end: number) => ImportFailure,
): Promise<UploadView> {
  let view = await viewOf(sql, u);
  if (view.complete) return view;
  let fetched = 0;
  for (let i = 0; i < u.parts && (fetched === 0 || Date.now() < deadline); i++) {
    if (view.received.includes(i)) continue;
    fetched++;
    const start = i * u.partSize;
    const want = expectedLength(u, i);
    const data = await range(start, start + want - 1);
    if (data.length !== want) throw wrongLength(data.length, start, start + want - 1);
    await savePart(sql, u.id, start, data, true);
    view = { ...view, received: [...view.received, i], bytesReceived: view.bytesReceived + want };
  }
  return view;
}
