import type { Tx } from '../../db/client';
import type { Fragment } from '../../db/sql';

/**
 * The engine's advisory locks, held to the end of the caller's transaction.
 * - sequence: creating a job and starting a rollback decide on the order of extracts, one at a time;
 * - undo: one driver undoes a job at a time (a try-lock: others find nothing to do);
 * - url: one upload is opened per URL at a time, so concurrent fetches of one file share it;
 * - uploads: uploads are opened one at a time, so the cap on open uploads holds exactly.
 */
export async function lockSequence(tx: Tx): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('kbo-import-sequence'))`;
}

export async function tryLockUndo(tx: Tx, jobId: number): Promise<boolean> {
  const [lock] = await tx<{ ok: boolean }[]>`select pg_try_advisory_xact_lock(hashtext('kbo-import-undo'), ${jobId}) as ok`;
  return Boolean(lock?.ok);
}

export async function lockUrl(tx: Tx, url: string): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('kbo-import-url'), hashtext(${url}))`;
}

export async function lockUploads(tx: Tx): Promise<void> {
  await tx`select pg_advisory_xact_lock(hashtext('kbo-import-uploads'))`;
}

/** index: one driver builds a partition of one register index at a time (a try-lock: attaching a partition's index locks its parent until commit, so a second would only wait). */
export function indexLockKey(tx: Tx, index: string) {
  return tx`hashtext('kbo-import-index'), hashtext(${index})`;
}

/** analyze: one driver analyses a table a job left stale at a time (a try-lock: others take another table). */
export function analyzeLockKey(tx: Tx, jobId: number, table: Fragment) {
  return tx`hashtext('kbo-import-analyze'), hashtext(${String(jobId)} || ':' || ${table})`;
}
