'use client';

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { ImportOptions, JobStatusView } from '@/lib/imports/shared';
import type { UploadView } from '@/lib/imports';
import { api, ApiError } from '../../_lib/api';

/** Parts in flight at once. */
const PARALLEL = 3;
/** Tries per part before the upload gives up (it can be resumed: choose the same file again). */
const TRIES = 6;

export interface PartsProgress {
  sent: number;
  total: number;
  /** Parts already on the server when this upload resumed. */
  resumed?: { parts: number; of: number };
  /** A part that failed and is being sent again. */
  retrying: string | null;
}

/**
 * Where an unfinished upload of this very file is remembered, to resume it: its name, size and
 * the hash of its first 64 KiB (a file picked again gets a new modification time). The server
 * checks every part and the whole anyway.
 */
async function resumeKey(f: File): Promise<string> {
  const head = new Uint8Array(await f.slice(0, 64 * 1024).arrayBuffer());
  return `kbo-upload:${f.name}:${f.size}:${bytesToHex(sha256(head))}`;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends a zip bigger than one request in parts (POST /api/uploads, PUT each part with its
 * sha256, POST complete with the whole file's sha256) and returns the import it created. A
 * part that fails is sent again with backoff; an upload interrupted altogether resumes when
 * the same file is chosen again (the parts already stored are skipped).
 */
export async function uploadInParts(file: File, options: ImportOptions, onProgress: (p: PartsProgress) => void): Promise<JobStatusView> {
  const key = await resumeKey(file);
  const upload = await resumeOrStart(file, key, options);
  window.localStorage.setItem(key, String(upload.uploadId));
  const have = new Set(upload.received);
  let sent = upload.received.length * upload.partSize;
  // Parts being sent again, each with why, until they get through.
  const retrying = new Map<number, string>();
  const resumed = upload.received.length ? { parts: upload.received.length, of: upload.parts } : undefined;
  const report = () =>
    onProgress({ sent: Math.min(sent, file.size), total: file.size, resumed, retrying: retrying.size ? [...retrying.values()].join(' ') : null });
  report();

  // The whole file's hash is computed in order while parts go out (PARALLEL at a time). A part
  // that cannot be sent stops the upload once the parts in flight have settled.
  const whole = sha256.create();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  for (let i = 0; i < upload.parts && failure === null; i++) {
    const bytes = new Uint8Array(await file.slice(i * upload.partSize, Math.min(file.size, (i + 1) * upload.partSize)).arrayBuffer());
    whole.update(bytes);
    if (have.has(i)) continue;
    const job: Promise<void> = sendPart(upload.uploadId, i, bytes, (why) => {
      retrying.set(i, why);
      report();
    })
      .then(
        () => {
          sent += bytes.length;
          retrying.delete(i);
          report();
        },
        (err: unknown) => {
          failure ??= err;
        },
      )
      .finally(() => inFlight.delete(job));
    inFlight.add(job);
    if (inFlight.size >= PARALLEL) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  const status = await api<JobStatusView>(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST', body: { sha256: bytesToHex(whole.digest()) } });
  window.localStorage.removeItem(key);
  return status;
}

async function resumeOrStart(file: File, key: string, options: ImportOptions): Promise<UploadView> {
  const saved = Number(window.localStorage.getItem(key));
  if (saved > 0) {
    try {
      const upload = await api<UploadView>(`/api/uploads/${saved}`);
      if (!upload.complete && upload.size === file.size) return upload;
    } catch {
      // Gone (completed, dropped or expired): start again.
    }
  }
  await discardOthers(key);
  return api<UploadView>('/api/uploads', { method: 'POST', body: { fileName: file.name, size: file.size, ...options } });
}

/**
 * Before a new upload, the ones this browser left unfinished for other files are discarded
 * (DELETE /api/uploads/:id), so that giving up on a file does not hold one of the server's
 * places for open uploads (MAX_OPEN_UPLOADS) until it expires a day later.
 */
async function discardOthers(keep: string): Promise<void> {
  const others = Object.keys(window.localStorage).filter((k) => k.startsWith('kbo-upload:') && k !== keep);
  for (const k of others) {
    const id = Number(window.localStorage.getItem(k));
    window.localStorage.removeItem(k);
    // Already complete, dropped or expired: nothing to free.
    if (id > 0) await fetch(`/api/uploads/${id}`, { method: 'DELETE' }).catch(() => undefined);
  }
}

async function sendPart(uploadId: number, index: number, bytes: Uint8Array, onRetry: (why: string) => void): Promise<void> {
  const hash = bytesToHex(sha256(bytes));
  for (let attempt = 1; ; attempt++) {
    let problem: ApiError;
    try {
      const res = await fetch(`/api/uploads/${uploadId}/parts/${index}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'x-part-sha256': hash },
        body: bytes as unknown as BodyInit,
        cache: 'no-store',
      });
      if (res.ok) return;
      const body = (await res.json().catch(() => null)) as { error?: { message?: string; code?: string } } | null;
      problem = new ApiError(body?.error?.message ?? `The server answered ${res.status}.`, res.status, body?.error?.code);
      // A part that arrived damaged (422) is worth sending again; other refusals end the upload.
      if (!problem.transient && res.status !== 422) {
        throw new ApiError(`Part ${index + 1} was refused: ${problem.message} Press Import again to resume the upload.`, problem.status, problem.code);
      }
    } catch (err) {
      if (err instanceof ApiError && !err.transient && err.status !== 422) throw err;
      problem = err instanceof ApiError ? err : new ApiError('The connection dropped.', 0);
    }
    if (attempt >= TRIES) throw new ApiError(`Part ${index + 1} could not be sent after ${TRIES} tries (${problem.message}) Choose the same file again to resume the upload.`, problem.status);
    onRetry(`Part ${index + 1} failed (${problem.message}); sending it again (try ${attempt + 1} of ${TRIES})…`);
    await wait(Math.min(8_000, 500 * 2 ** (attempt - 1)));
  }
}

/** Fetches a zip from a URL through the server, a step per call, and returns the import it created. */
export async function fetchFromUrl(url: string, options: ImportOptions, onProgress: (p: PartsProgress) => void): Promise<JobStatusView> {
  const upload = await api<UploadView>('/api/uploads', { method: 'POST', body: { url, ...options } });
  onProgress({ sent: 0, total: upload.size, retrying: null });
  for (let failures = 0; ; ) {
    try {
      const step = await api<{ upload: UploadView; job: JobStatusView | null }>(`/api/uploads/${upload.uploadId}/fetch`, { method: 'POST', body: {} });
      if (step.job) return step.job;
      failures = 0;
      onProgress({ sent: step.upload.bytesReceived, total: step.upload.size, retrying: null });
    } catch (err) {
      if (!(err instanceof ApiError) || !err.transient || ++failures >= TRIES) throw err;
      onProgress({ sent: 0, total: upload.size, retrying: `${err.message} Trying again…` });
      await wait(500 * 2 ** failures);
    }
  }
}
