import type { Sql } from '../../db/client';
import { env } from '../../env';
import { driveImport, isTerminal, JOB } from '../../imports';
import type { Portal } from '../portal';
import { afterStep, endsCurrent, SYNC_STEP, SYNC_TRIGGER, type SyncTrigger } from '../state';
import { releaseLease, takeLease } from '../sql/state';
import { newHolder, syncStep, type SyncProgress } from '../steps/step';
import { pingMonitor } from '../steps/pings';

export interface SyncResult {
  /** The register is at the portal's newest extract (or the portal lists nothing newer). */
  current: boolean;
  message: string;
  runId: number | null;
  /** It ended on an error, or on an import with failed batches (the monitor hears `fail`). */
  failed?: boolean;
}

/**
 * A whole sync in one go (the CLI's `npm run sync`): step after step, driving each import to
 * its end with the engine's own driver, until the register is current or something stops it.
 * An interrupted run is carried on by the next: its stored parts and its import are picked up.
 */
export async function runSync(db: Sql, portal: Portal, opts: { trigger?: SyncTrigger; log?: (line: string) => void; concurrency?: number } = {}): Promise<SyncResult> {
  const holder = newHolder(opts.trigger ?? SYNC_TRIGGER.cli);
  await pingMonitor(db, holder, 'start', 'sync started');
  let result: SyncResult;
  try {
    result = await run(db, portal, holder, opts);
  } catch (err) {
    await pingMonitor(db, holder, 'fail', (err as Error).message);
    throw err;
  }
  await pingMonitor(db, holder, result.failed ? 'fail' : 'success', result.message);
  return result;
}

async function run(db: Sql, portal: Portal, holder: string, opts: { trigger?: SyncTrigger; log?: (line: string) => void; concurrency?: number }): Promise<SyncResult> {
  const trigger = opts.trigger ?? SYNC_TRIGGER.cli;
  const log = opts.log ?? (() => {});
  let check = true;
  let lastFetchLog = 0;
  // Keep the lease while an import runs longer than it.
  let renewing: Promise<unknown> = Promise.resolve();
  const renew = setInterval(() => (renewing = takeLease(db, holder).catch(() => {})), 30_000);
  try {
    for (;;) {
      const p: SyncProgress = await syncStep(db, portal, { trigger, holder, check, deadline: Date.now() + env().IMPORT_BATCH_BUDGET_MS });
      check = false;
      const next = afterStep(p.state);
      if (next === 'stop') {
        // An error or a paused import is the result's message; the caller prints it.
        if (p.state !== SYNC_STEP.error && p.state !== SYNC_STEP.waiting) log(p.message);
        return { current: endsCurrent(p.state), message: p.message, runId: p.state === SYNC_STEP.busy ? null : (p.run?.id ?? null), failed: p.state === SYNC_STEP.error };
      }
      if (next === 'step') {
        const throttled = p.state === SYNC_STEP.fetching && Date.now() - lastFetchLog <= 2_000;
        if (!throttled) log(p.message);
        if (p.state === SYNC_STEP.fetching && !throttled) lastFetchLog = Date.now();
        continue;
      }
      log(p.message);
      const stopped = await driveSyncImport(db, p.jobId as number, opts.concurrency ?? 2, log);
      if (stopped) return { current: false, message: stopped.message, runId: p.run?.id ?? null, failed: stopped.failed };
      // Applied, or refused: the next step goes on, or reports the refusal and ends the run.
    }
  } finally {
    clearInterval(renew);
    await renewing; // a renewal in flight must not take the lease back after the release
    await releaseLease(db, holder).catch(() => {});
  }
}

/**
 * Drives a sync's import to its end. Null when the sync goes on (applied, or refused: the next
 * step reports that); otherwise why the sync stops here (a failed batch or a pause).
 */
async function driveSyncImport(db: Sql, jobId: number, concurrency: number, log: (line: string) => void): Promise<{ message: string; failed: boolean } | null> {
  const status = await driveImport(db, { jobId, concurrency });
  const { job } = status;
  if (job.status === JOB.completed) {
    log(`import #${job.id}: extract ${job.extractNumber} applied (${job.mode}).`);
    return null;
  }
  if (isTerminal(job.status)) return null;
  return {
    message: `Import #${job.id} (extract ${job.extractNumber}) is ${job.status}${status.failures.length ? ` with ${status.failures.length} failed batch(es): retry them (npm run import -- retry ${job.id})` : ''}; the next sync carries on from there.`,
    failed: status.failures.length > 0,
  };
}
