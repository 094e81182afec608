import type { Sql } from '../../db/client';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import type { ImportOptions } from '../options';
import { jobOfUpload } from '../sql/jobs';
import { findUpload, markUploadComplete } from '../sql/uploads';
import { fetchParts } from '../store/fetch';
import { dropUnclaimedUpload } from '../store/parts';
import { sha256Of, uploadSource } from '../store/sources';
import { loadUpload, missingParts, uploadView, viewOf, type PartedUpload, type UploadView } from '../store/uploads';
import { createImport, type CreateOptions, type PrepareInput } from './create';
import { expirePreviews } from './preview';
import { prepareSteps } from './prepare/step';

/**
 * Every way an import begins ends here: create the job from the zip (stored, sent in parts,
 * fetched, or on the CLI's disk), then run its first prepare steps within the budget (at least one), so a
 * daily update is prepared by the time the call answers. `callStarted`: when the call began
 * (before its upload was stored), so the call as a whole keeps to the budget. The rest of a
 * large extract is staged by step calls like everything else.
 */
export async function startImport(
  db: Sql,
  input: PrepareInput,
  budgetMs = env().IMPORT_BATCH_BUDGET_MS,
  callStarted = Date.now(),
  opts: CreateOptions = {},
): Promise<{ jobId: number }> {
  // Previews left alone for a day go first: their staging is not kept forever.
  await expirePreviews(db);
  const { jobId } = await createImport(db, input, opts);
  // The budget is the call's: what storing the upload and creating the job took comes off it.
  await prepareSteps(db, jobId, Math.max(0, callStarted + budgetMs - Date.now()));
  return { jobId };
}

/**
 * Every part stored: check the whole file against the sha256 the client computed (null: the
 * server fetched it and has nothing to check against), then start the import as a direct
 * upload does. A mismatch drops the upload (unless another call completed it meanwhile).
 * Completing twice, one after the other or at the same moment (a retry after a lost answer, a
 * double click), gives the same import.
 */
export async function completeUpload(sql: Sql, uploadId: number, sha256: string | null, opts: CreateOptions & { preview?: boolean } = {}): Promise<{ jobId: number }> {
  const made = await jobOfUpload(sql, uploadId);
  if (made !== undefined) return { jobId: made };
  const u = await loadUpload(sql, uploadId);
  try {
    return await checkAndStart(sql, u, sha256, opts);
  } catch (err) {
    // Another call completing this upload at the same moment was refused and dropped it while
    // this one was reading it: say so, rather than what reading vanished bytes looks like.
    if ((await findUpload(sql, uploadId)) || (await jobOfUpload(sql, uploadId)) !== undefined) throw err;
    if (err instanceof ImportFailure && err.code !== 'INTERNAL' && !READ_FAILURE.test(err.message)) throw err;
    throw new ImportFailure('NOT_FOUND', `Upload #${uploadId} (${u.fileName}) was dropped while this call read it: another call completing it at the same moment was refused. Upload the file again to see why.`);
  }
}

/** What reading an upload whose parts vanish mid-read looks like. */
const READ_FAILURE = /damaged|truncated|not a readable|no longer stored/;

async function checkAndStart(sql: Sql, u: PartedUpload, sha256: string | null, opts: CreateOptions & { preview?: boolean }): Promise<{ jobId: number }> {
  const uploadId = u.id;
  const missing = missingParts(u, await viewOf(sql, u));
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ', …' : '');
    throw new ImportFailure('PRECONDITION_FAILED', `${u.fileName} is missing ${missing.length} of its ${u.parts} parts (${shown}); send them, then complete it.`, {
      missing: missing.slice(0, 100),
    });
  }
  if (u.sha256 === '') {
    const actual = await sha256Of(await uploadSource(sql, uploadId));
    if (sha256 !== null && actual !== sha256.toLowerCase()) {
      const dropped = await dropUnclaimedUpload(sql, uploadId, { onlyIncomplete: true });
      throw new ImportFailure(
        'VALIDATION',
        `${u.fileName} was assembled from its parts with sha256 ${actual}, but the file sent has ${sha256.toLowerCase()}${dropped ? '; the upload was dropped. Upload the file again.' : '.'}`,
        { expected: sha256.toLowerCase(), got: actual },
      );
    }
    await markUploadComplete(sql, uploadId, actual);
  }
  const { preview, ...create } = opts;
  const options = { ...(u.options as ImportOptions), ...(preview === undefined ? {} : { preview }) };
  return startImport(sql, { fileName: u.fileName, uploadId, ...options }, undefined, undefined, create);
}

export interface FetchProgress {
  upload: UploadView;
  /** The import, once every part is fetched (then the upload is complete). */
  jobId: number | null;
}

/**
 * A URL fetch in steps: the next missing parts until the budget runs out (store/fetch.ts);
 * once every part is stored, the upload completes and the import starts. Safe to call again
 * and from several drivers.
 */
export async function fetchSteps(sql: Sql, uploadId: number, budgetMs = env().IMPORT_BATCH_BUDGET_MS): Promise<FetchProgress> {
  const view = await fetchParts(sql, uploadId, Date.now() + budgetMs);
  if (view.received.length < view.parts) return { upload: view, jobId: null };
  const { jobId } = await completeUpload(sql, uploadId, null);
  // A refused zip's upload is dropped with its job; the view is then the last one seen.
  return { upload: await uploadView(sql, uploadId).catch(() => ({ ...view, complete: true })), jobId };
}
