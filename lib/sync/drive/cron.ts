import type { Sql } from '../../db/client';
import { driveImport } from '../../imports';
import type { Portal } from '../portal';
import { afterStep, SYNC_STEP, SYNC_TRIGGER } from '../state';
import { pingMonitor } from '../steps/pings';
import { releaseLease } from '../sql/state';
import { newHolder, syncStep, type SyncProgress } from '../steps/step';

/**
 * The sync's part of a cron tick, within `until` (epoch ms): ask the portal's listing when a
 * check is due (at most every SYNC_CHECK_MINUTES), then fetch the plan's next file part by
 * part and drive its import, step after step, until the time is up. The next tick carries on
 * from what is stored. A second scheduler at the same moment finds the lease taken and leaves.
 */
export async function syncTick(db: Sql, portal: Portal, until: number, onCall?: (what: 'sync step' | 'import step', ms: number) => void): Promise<SyncProgress[]> {
  const holder = newHolder(SYNC_TRIGGER.cron);
  const steps: SyncProgress[] = [];
  await pingMonitor(db, holder, 'start', 'sync tick started');
  try {
    while (Date.now() < until) {
      const started = performance.now();
      const p = await syncStep(db, portal, { trigger: SYNC_TRIGGER.cron, holder, check: false, deadline: until });
      onCall?.('sync step', performance.now() - started);
      steps.push(p);
      const next = afterStep(p.state);
      if (next === 'drive') {
        // At least one call per tick, so that every tick moves the import on.
        await driveImport(db, { jobId: p.jobId as number, concurrency: 2, until: Math.max(until, Date.now() + 100), idleMs: 250, onStep: (_s, ms) => onCall?.('import step', ms) });
        continue;
      }
      if (next === 'stop') break;
    }
  } finally {
    await releaseLease(db, holder).catch(() => {});
  }
  const last = steps.at(-1);
  await pingMonitor(db, holder, last?.state === SYNC_STEP.error ? 'fail' : 'success', last?.message ?? 'nothing to do this tick');
  return steps;
}
