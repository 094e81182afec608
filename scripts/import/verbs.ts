/** The import CLI's verbs on an existing import (pause, resume, cancel, rollback, retry; apply and discard a preview), and the status each leaves it in when it did what was asked. */
import type { Sql } from '../../lib/db/client';
import {
  applyPreview,
  cancelImport,
  discardPreview,
  getJobStatus,
  JOB,
  type Patience,
  patiently,
  pauseImport,
  resumeImport,
  retryBatches,
  rollbackImport,
} from '../../lib/imports';
import { isImportFailure } from '../../lib/errors';

const VERBS = {
  pause: pauseImport,
  resume: resumeImport,
  cancel: cancelImport,
  rollback: rollbackImport,
  retry: retryBatches,
  apply: applyPreview,
  discard: (db: Sql, input: { jobId: number }) => discardPreview(db, input),
} as const;
export type Verb = keyof typeof VERBS;
export const isVerb = (v: string | undefined): v is Verb => v !== undefined && v in VERBS;

/** Where a verb that took effect leaves the job, at once or once driven. */
const TOOK_EFFECT: Record<Verb, string[]> = {
  pause: [JOB.paused],
  resume: [JOB.preparing, JOB.running, JOB.cancelling, JOB.rolling_back, JOB.completed, JOB.cancelled, JOB.rolled_back],
  cancel: [JOB.cancelling, JOB.cancelled],
  rollback: [JOB.rolling_back, JOB.rolled_back],
  retry: [JOB.running, JOB.completed],
  apply: [JOB.running, JOB.completed],
  discard: [JOB.discarded],
};

/**
 * A verb, waiting out a database that went away. When the connection dropped after the verb
 * committed, its retry is refused (the job moved already): the job's status then says it took
 * effect, and that is success.
 */
export async function patientVerb(db: Sql, verb: Verb, jobId: number, patience: Patience): Promise<void> {
  let interrupted = false;
  const watching: Patience = { ...patience, onWait: (...a) => ((interrupted = true), patience.onWait?.(...a)) };
  try {
    await patiently(watching, async () => void (await VERBS[verb](db, { jobId })));
  } catch (err) {
    if (!interrupted || !isImportFailure(err)) throw err;
    const now = (await patiently(patience, () => getJobStatus(db, jobId))).job.status;
    if (!TOOK_EFFECT[verb].includes(now)) throw err;
  }
}

/** The status a command leaves the job in when it did what was asked. */
export const SUCCESS: Record<Verb | 'import' | 'preview', string> = {
  import: JOB.completed,
  preview: JOB.previewed,
  apply: JOB.completed,
  discard: JOB.discarded,
  resume: JOB.completed,
  retry: JOB.completed,
  pause: JOB.paused,
  cancel: JOB.cancelled,
  rollback: JOB.rolled_back,
};
