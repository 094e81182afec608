/** How the import CLI starts an import: from a zip on disk (or the unfinished import of that very file), or from a URL the server fetches. */
import path from 'node:path';
import type { Sql } from '../../lib/db/client';
import { createFetch, createImport, fetchSteps, JOB, type Patience, patiently, type PrepareInput } from '../../lib/imports';
import { isImportFailure } from '../../lib/errors';

/**
 * Create the import of this zip, or, when this very file's import is already under way (a
 * run that crashed, or another driver), carry that job on: prepare steps and batches alike
 * resume from what was committed.
 */
export async function createOrResume(
  db: Sql,
  file: string,
  options: Omit<PrepareInput, 'fileName' | 'data' | 'path' | 'uploadId'>,
  log: (msg: string) => void,
): Promise<number> {
  try {
    const created = await createImport(db, { fileName: path.basename(file), path: file, ...options });
    return created.jobId;
  } catch (err) {
    const details = isImportFailure(err) ? (err.details as { resumable?: boolean; jobId?: number; status?: string } | undefined) : undefined;
    if (!details?.resumable || details.jobId === undefined || details.status === JOB.paused) throw err;
    log(`this file is already being imported as import #${details.jobId} (${details.status}): resuming it`);
    return details.jobId;
  }
}

/** The options the flags give an import: --force, --on-error, --max-rejected, --max-rejected-percent, --defer-indexes. */
export function options(values: { force?: boolean; 'on-error'?: string; 'max-rejected'?: string; 'max-rejected-percent'?: string; 'defer-indexes'?: string; 'dry-run'?: boolean }) {
  const defer = values['defer-indexes'];
  return {
    preview: values['dry-run'] || undefined,
    deferIndexes: defer === undefined ? undefined : defer === 'on',
    force: values.force,
    onError: values['on-error'] as PrepareInput['onError'],
    maxRejected: values['max-rejected'] === undefined ? undefined : Number(values['max-rejected']),
    maxRejectedPercent: values['max-rejected-percent'] === undefined ? undefined : Number(values['max-rejected-percent']),
  };
}

/** The server fetches the zip a part per range request (as POST /api/uploads/:id/fetch does), then imports it. */
export async function fetchImport(db: Sql, url: string, opts: ReturnType<typeof options>, log: (msg: string) => void, patience: Patience): Promise<number> {
  const upload = await patiently(patience, () => createFetch(db, { url, ...opts }));
  log(`fetching ${upload.fileName} (${(upload.size / 1e6).toFixed(2)} MB) in ${upload.parts} parts…`);
  for (;;) {
    const step = await patiently(patience, () => fetchSteps(db, upload.uploadId));
    if (step.jobId !== null) return step.jobId;
    log(`  ${step.upload.received.length}/${step.upload.parts} parts`);
  }
}
