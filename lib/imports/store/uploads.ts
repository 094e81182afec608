import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Db, Sql } from '../../db/client';
import { env } from '../../env';
import { ImportFailure } from '../errors';
import { createImport, importOptions, type ImportOptions } from '../jobs/create';
import { prepareSteps } from '../jobs/prepare-step';
import { getJobStatus, type JobStatusView } from '../view/status';
import { dropUploadById, savePart, sha256Of, uploadSource } from './sources';

/**
 * A zip too big for one request, sent in parts: the client creates the upload (name, size),
 * sends each part with its sha256 (any order, any number of times: a part that failed is sent
 * again), then completes it with the whole file's sha256. Parts are stored where prepare
 * steps read them (import_upload_parts, by offset), so the complete call only checks the
 * whole and creates the job. Or the server fetches the zip from a URL, a part per request,
 * in steps that the caller drives the same way.
 */

const SHA256 = /^[0-9a-f]{64}$/;

export const createUploadInput = importOptions.extend({
  fileName: z
    .string()
    .min(1)
    .max(255)
    .refine((n) => n.toLowerCase().endsWith('.zip'), 'the file must be a .zip'),
  size: z.number().int().positive(),
});

export const fetchUploadInput = importOptions.extend({
  url: z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'only http and https URLs can be fetched'),
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

function maxUploadBytes(): number {
  return env().MAX_UPLOAD_MB * 1024 * 1024;
}

function tooBig(fileName: string, size: number): ImportFailure {
  return new ImportFailure(
    'PAYLOAD_TOO_LARGE',
    `${fileName} is ${(size / 1e6).toFixed(1)} MB, more than the ${env().MAX_UPLOAD_MB} MB this server accepts (MAX_UPLOAD_MB).`,
  );
}

/** Starts an upload in parts; the answer says how big each part must be. */
export async function createUpload(db: Db, raw: z.input<typeof createUploadInput>): Promise<UploadView> {
  const input = createUploadInput.parse(raw);
  if (input.size > maxUploadBytes()) throw tooBig(input.fileName, input.size);
  const { fileName, size, ...options } = input;
  return newUpload(db.$client, { fileName, size, url: null, options });
}

/** An upload row with no parts yet (sha256 empty until it completes), sized in parts of IMPORT_PART_BYTES. */
async function newUpload(sql: Sql, u: { fileName: string; size: number; url: string | null; options: ImportOptions }): Promise<UploadView> {
  await dropAbandoned(sql);
  const [row] = await sql<{ id: number }[]>`
    insert into import_uploads (file_name, size, sha256, part_size, url, options)
    values (${u.fileName}, ${u.size}, '', ${env().IMPORT_PART_BYTES}, ${u.url}, ${JSON.stringify(u.options)}::jsonb)
    returning id`;
  return uploadView(sql, (row as { id: number }).id);
}

/** Uploads never completed are dropped after a day, so an abandoned one does not keep its parts forever. */
async function dropAbandoned(sql: Sql): Promise<void> {
  const old = await sql<{ id: number }[]>`
    select id from import_uploads where sha256 = '' and part_size is not null and created_at < now() - interval '1 day'`;
  for (const u of old) await dropUploadById(sql, u.id);
}

interface UploadRow {
  id: number;
  file_name: string;
  size: string;
  sha256: string;
  part_size: number | null;
  url: string | null;
  options: ImportOptions;
}

async function loadUpload(sql: Sql, uploadId: number): Promise<UploadRow & { partSize: number; parts: number }> {
  const [u] = await sql<UploadRow[]>`select id, file_name, size, sha256, part_size, url, options from import_uploads where id = ${uploadId}`;
  if (!u || u.part_size === null) throw new ImportFailure('NOT_FOUND', `Upload #${uploadId} does not exist (an upload not completed within a day is dropped); start it again.`);
  const size = Number(u.size);
  return { ...u, partSize: u.part_size, parts: Math.max(1, Math.ceil(size / u.part_size)) };
}

export async function uploadView(sql: Sql, uploadId: number): Promise<UploadView> {
  return viewOf(sql, await loadUpload(sql, uploadId));
}

/** The view of an upload already loaded: its row plus the parts stored so far. */
async function viewOf(sql: Sql, u: Awaited<ReturnType<typeof loadUpload>>): Promise<UploadView> {
  const uploadId = u.id;
  const parts = await sql<{ offset: string; n: number }[]>`
    select "offset", bytes as n from import_upload_parts where upload_id = ${uploadId} order by "offset"`;
  return {
    uploadId,
    fileName: u.file_name,
    size: Number(u.size),
    partSize: u.partSize,
    parts: u.parts,
    received: parts.map((p) => Number(p.offset) / u.partSize),
    bytesReceived: parts.reduce((s, p) => s + Number(p.n), 0),
    url: u.url,
    complete: u.sha256 !== '',
  };
}

function expectedLength(u: { size: string; partSize: number; parts: number }, index: number): number {
  return index < u.parts - 1 ? u.partSize : Number(u.size) - u.partSize * (u.parts - 1);
}

/**
 * Stores part `index` after checking its length (every part but the last is exactly the part
 * size) and its sha256. Sending a part again replaces it: the last good copy counts.
 */
export async function putPart(db: Db, uploadId: number, index: number, data: Uint8Array, sha256: string): Promise<UploadView> {
  const sql = db.$client;
  const u = await loadUpload(sql, uploadId);
  if (u.sha256 !== '') throw new ImportFailure('CONFLICT', `Upload #${uploadId} is already complete; its parts cannot change.`);
  if (u.url !== null) throw new ImportFailure('CONFLICT', `Upload #${uploadId} is fetched from ${u.url}; it takes no parts.`);
  if (!Number.isInteger(index) || index < 0 || index >= u.parts) {
    throw new ImportFailure('VALIDATION', `${u.file_name} has parts 0 to ${u.parts - 1}; there is no part ${index}.`);
  }
  const want = expectedLength(u, index);
  if (data.byteLength !== want) {
    throw new ImportFailure(
      'VALIDATION',
      `Part ${index} of ${u.file_name} arrived with ${data.byteLength.toLocaleString('en')} bytes; it must have ${want.toLocaleString('en')}. Send it again.`,
      { part: index, expected: want, got: data.byteLength },
    );
  }
  const declared = sha256.toLowerCase();
  if (!SHA256.test(declared)) throw new ImportFailure('VALIDATION', `Send part ${index}'s sha256 as 64 hex digits (header X-Part-Sha256).`);
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== declared) {
    throw new ImportFailure(
      'VALIDATION',
      `Part ${index} of ${u.file_name} arrived damaged: its sha256 is ${actual}, not ${declared} as sent. Send it again.`,
      { part: index, expected: declared, got: actual },
    );
  }
  await savePart(sql, uploadId, index * u.partSize, data);
  return viewOf(sql, u);
}

/**
 * Every part stored: check the whole file against the sha256 the client computed (null: the
 * server fetched it and has nothing to check against), then create the import and run its
 * first prepare steps, as a direct upload does. A mismatch drops the upload.
 */
export async function completeUpload(db: Db, uploadId: number, sha256: string | null): Promise<JobStatusView> {
  const sql = db.$client;
  // Completing twice (a retry after a lost answer) gives the same import.
  const [made] = await sql<{ id: number }[]>`
    select id from import_jobs where source = ${JSON.stringify({ kind: 'upload', uploadId })}::jsonb order by id desc limit 1`;
  if (made) return getJobStatus(db, made.id);
  const u = await loadUpload(sql, uploadId);
  const view = await viewOf(sql, u);
  const missing = [...Array(u.parts).keys()].filter((i) => !view.received.includes(i));
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', …' : '');
    throw new ImportFailure('PRECONDITION_FAILED', `${u.file_name} is missing ${missing.length} of its ${u.parts} parts (${shown}); send them, then complete it.`, {
      missing: missing.slice(0, 100),
    });
  }
  if (u.sha256 === '') {
    const actual = await sha256Of(await uploadSource(sql, uploadId));
    if (sha256 !== null && actual !== sha256.toLowerCase()) {
      await dropUploadById(sql, uploadId);
      throw new ImportFailure(
        'VALIDATION',
        `${u.file_name} was assembled from its parts with sha256 ${actual}, but the file sent has ${sha256.toLowerCase()}; the upload was dropped. Upload the file again.`,
        { expected: sha256.toLowerCase(), got: actual },
      );
    }
    await sql`update import_uploads set sha256 = ${actual} where id = ${uploadId} and sha256 = ''`;
  }
  const created = await createImport(db, { fileName: u.file_name, uploadId, ...u.options });
  await prepareSteps(sql, created.job.id, env().IMPORT_BATCH_BUDGET_MS);
  return getJobStatus(db, created.job.id);
}

// ---------------------------------------------------------------------------------------------
// Fetching a zip from a URL, a part per HTTP range request.

/** Starts fetching a zip: asks the server its size (a one-byte range request). */
export async function createFetch(db: Db, raw: z.input<typeof fetchUploadInput>): Promise<UploadView> {
  const { url, ...options } = fetchUploadInput.parse(raw);
  const fileName = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'download.zip');
  const size = await remoteSize(url);
  if (size > maxUploadBytes()) throw tooBig(fileName, size);
  return newUpload(db.$client, { fileName, size, url, options });
}

async function remoteSize(url: string): Promise<number> {
  const res = await request(url, { method: 'GET', headers: { range: 'bytes=0-0' } });
  await res.body?.cancel();
  const total = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1];
  if (res.status === 206 && total) return Number(total);
  const length = Number(res.headers.get('content-length'));
  if (res.status === 200 && length > 0) return length;
  throw new ImportFailure('VALIDATION', `${url} did not say how big the file is (no Content-Range or Content-Length); download it and upload the file instead.`);
}

async function request(url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new ImportFailure('VALIDATION', `${url} could not be fetched (${(err as Error).message}); check the address, or download the file and upload it.`);
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    throw new ImportFailure('VALIDATION', `${url} answered ${res.status} ${res.statusText}; check the address, or download the file and upload it.`);
  }
  return res;
}

export interface FetchProgress {
  upload: UploadView;
  /** The import, once every part is fetched (then the upload is complete). */
  job: JobStatusView | null;
}

/**
 * Fetches the next missing parts, each with a range request, until the time budget runs out;
 * once every part is stored, completes the upload (the import is created). Safe to call again
 * and from several drivers: a part is stored whole or not at all, and storing it twice
 * changes nothing.
 */
export async function fetchSteps(db: Db, uploadId: number, budgetMs = env().IMPORT_BATCH_BUDGET_MS): Promise<FetchProgress> {
  const sql = db.$client;
  const u = await loadUpload(sql, uploadId);
  if (u.url === null) throw new ImportFailure('CONFLICT', `Upload #${uploadId} is sent by its client in parts, not fetched.`);
  const deadline = Date.now() + budgetMs;
  let view = await viewOf(sql, u);
  if (!view.complete) {
    // At least one part per call, so every call moves the fetch on.
    let fetched = 0;
    for (let i = 0; i < u.parts && (fetched === 0 || Date.now() < deadline); i++) {
      if (view.received.includes(i)) continue;
      fetched++;
      const start = i * u.partSize;
      const want = expectedLength(u, i);
      const res = await request(u.url, { headers: { range: `bytes=${start}-${start + want - 1}` } });
      let data = Buffer.from(await res.arrayBuffer());
      // A server that ignores ranges sends the whole file: keep our part of it.
      if (res.status === 200) data = data.subarray(start, start + want);
      if (data.length !== want) {
        throw new ImportFailure('VALIDATION', `${u.url} sent ${data.length} bytes for bytes ${start}–${start + want - 1}; has the file changed? Start the fetch again.`);
      }
      await savePart(sql, uploadId, start, data, true);
      view = { ...view, received: [...view.received, i], bytesReceived: view.bytesReceived + want };
    }
    if (view.received.length < u.parts) return { upload: view, job: null };
  }
  const job = await completeUpload(db, uploadId, null);
  // A refused zip's upload is dropped with its job; the view is then the last one seen.
  return { upload: await uploadView(sql, uploadId).catch(() => ({ ...view, complete: true })), job };
}
