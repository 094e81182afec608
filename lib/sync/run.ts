import type { Db } from '../db/client';
import { env } from '../env';
import { driveImport } from '../imports/drive/loop';
import { JOB } from '../imports/state/machine';
import type { Portal } from './portal';
import { newHolder, releaseLease, syncStep, takeLease, type SyncProgress, type SyncTrigger } from './sync';

export interface SyncResult {
  /** The register is at the portal's newest extract (or the portal lists nothing newer). */
  current: boolean;
  message: string;
  runId: number | null;
}

/**
 * A whole sync in one go (the CLI's `npm run sync`): step after step, driving each import to
 * its end with the engine's own driver, until the register is current or something stops it.
 * An interrupted run is carried on by the next: its stored parts and its import are picked up.
 */
export async function runSync(db: Db, portal: Portal, opts: { trigger?: SyncTrigger; log?: (line: string) => void; concurrency?: number } = {}): Promise<SyncResult> {
  const trigger = opts.trigger ?? 'cli';
  const log = opts.log ?? (() => {});
  const holder = newHolder(trigger);
  let check = true;
  let lastFetchLog = 0;
  // Keep the lease while an import runs longer than it.
  let renewing: Promise<unknown> = Promise.resolve();
  const renew = setInterval(() => (renewing = takeLease(db.$client, holder).catch(() => {})), 30_000);
  try {
    for (;;) {
      const p: SyncProgress = await syncStep(db, portal, { trigger, holder, check, deadline: Date.now() + env().IMPORT_BATCH_BUDGET_MS });
      check = false;
      switch (p.state) {
        case 'busy':
          log(p.message);
          return { current: false, message: p.message, runId: null };
        case 'checked':
        case 'done':
          log(p.message);
          return { current: true, message: p.message, runId: p.run?.id ?? null };
        case 'error':
        case 'waiting':
          return { current: false, message: p.message, runId: p.run?.id ?? null };
        case 'planned':
          log(p.message);
          break;
        case 'fetching':
          if (Date.now() - lastFetchLog > 2_000) (log(p.message), (lastFetchLog = Date.now()));
          break;
        case 'importing': {
          log(p.message);
          const status = await driveImport(db, { jobId: p.jobId as number, concurrency: opts.concurrency ?? 2 });
          const { job } = status;
          if (job.status === JOB.completed) {
            log(`import #${job.id}: extract ${job.extractNumber} applied (${job.mode}).`);
            break;
          }
          // A failed batch or a pause stops the driver: the next sync carries on once it is resolved.
          if (job.status !== JOB.failed && job.status !== JOB.cancelled && job.status !== JOB.rolled_back) {
            const message = `Import #${job.id} (extract ${job.extractNumber}) is ${job.status}${status.failures.length ? ` with ${status.failures.length} failed batch(es): retry them (npm run import -- retry ${job.id})` : ''}; the next sync carries on from there.`;
            return { current: false, message, runId: p.run?.id ?? null };
          }
          break; // the next step reports the refused import and ends the run
        }
      }
    }
  } finally {
    clearInterval(renew);
    await renewing; // a renewal in flight must not take the lease back after the release
    await releaseLease(db.$client, holder).catch(() => {});
  }
}
