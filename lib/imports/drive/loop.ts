import type { Sql } from '../../db/client';
import { env } from '../../env';
import { advanceJob, type AdvanceInput, type Advanced } from '../jobs/advance';
import { finalizeImport } from '../jobs/finalize';
import { getJobStatus, type JobStatusView } from '../view/status';
import { patiently, type Patience } from './patient';
import { didWork, nextMove, snapshotOf } from './rules';

/** What a step call answers: what it did, and the job's status after it. */
export interface DriveStep extends Advanced {
  progress: JobStatusView;
}

/** One step call: advance the job, then read its status (the answer every driver acts on). */
export async function driveStep(db: Sql, input: AdvanceInput): Promise<DriveStep> {
  const did = await advanceJob(db, input);
  return { ...did, progress: await getJobStatus(db, input.jobId) };
}

export interface DriveOptions {
  jobId: number;
  concurrency: number;
  budgetMs?: number;
  onProgress?: (status: JobStatusView) => void;
  /** Every call, with how long it took (the benchmark times them). */
  onStep?: (step: DriveStep, ms: number) => void;
  /** How long an idle worker waits before asking again while others hold leases. */
  idleMs?: number;
  /** Stop starting new calls after this time (epoch ms), e.g. inside a cron invocation. */
  until?: number;
  /** Call finalize once every batch is done (default true). */
  finalize?: boolean;
  /** Wait out a database that goes away, instead of failing at once (the CLI's). */
  patience?: Patience;
}

/**
 * The headless driver (CLI, cron, benchmark): N workers call the step route until the rules
 * in rules.ts say stop, then finalize. The same verbs and rules as the browser; leases keep
 * workers apart. Stops without finalizing when batches failed, so an operator can retry them,
 * and when the job is paused. Returns the job's status as the drive left it.
 */
export async function driveImport(db: Sql, opts: DriveOptions): Promise<JobStatusView> {
  const idleMs = opts.idleMs ?? 200;
  let last: JobStatusView | undefined;
  let finalize = false;

  const worker = async () => {
    while (opts.until === undefined || Date.now() < opts.until) {
      // Inside a deadline, a call's own budget ends with it.
      const left = opts.until === undefined ? undefined : Math.max(0, opts.until - Date.now());
      const budgetMs = left === undefined ? opts.budgetMs : Math.min(left, opts.budgetMs ?? env().IMPORT_BATCH_BUDGET_MS);
      const started = performance.now();
      const step = await patiently(opts.patience, () => driveStep(db, { jobId: opts.jobId, budgetMs }));
      opts.onStep?.(step, performance.now() - started);
      last = step.progress;
      opts.onProgress?.(step.progress);
      const move = nextMove(snapshotOf(step.progress, didWork(step)));
      if (move === 'again') continue;
      if (move === 'wait') {
        await new Promise((r) => setTimeout(r, idleMs));
        continue;
      }
      if (move === 'finalize') finalize = true;
      return;
    }
  };
  const workers = () => Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  await workers();

  const status = () => patiently(opts.patience, () => getJobStatus(db, opts.jobId));
  if (finalize && opts.finalize !== false) {
    // Within the drive's deadline, if it has one (a cron tick).
    const budgetMs = opts.until === undefined ? opts.budgetMs : Math.max(0, Math.min(opts.until - Date.now(), opts.budgetMs ?? env().IMPORT_BATCH_BUDGET_MS));
    await patiently(opts.patience, () => finalizeImport(db, { jobId: opts.jobId, budgetMs }));
    // The statistics finalize had no time for: the same workers, until the rules say stop.
    finalize = false;
    await workers();
    return status();
  }
  return last ?? status();
}
