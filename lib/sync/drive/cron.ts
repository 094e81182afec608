import type { Sql } from '../../db/client';
import { driveImport } from '../../imports';
import type { Portal } from '../portal';
import { afterStep, SYNC_STEP, SYNC_TRIGGER } from '../state';
import { pingMonitor, prunePings } from '../steps/pings';
import { cronTick } from '../../imports';
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
  return steps;
}

/**
 * What the scheduler runs each time (the cron route, every minute): the imports' tick (the
 * active import, previews expired, stalls told), then, with a portal account, the sync's, within
 * `budgetMs`. The monitor (HEALTHCHECK_URL) hears `start` before and `success` or `fail` after,
 * every tick, however long an import keeps the tick busy: a scheduler that died is noticed.
 */
export async function scheduledTick(db: Sql, portal: Portal | null, budgetMs: number) {
  const until = Date.now() + budgetMs;
  const holder = newHolder(SYNC_TRIGGER.cron);
  await pingMonitor(db, holder, 'start', 'scheduled tick started');
  try {
    const { job } = await cronTick(db, budgetMs);
    const sync = portal && Date.now() < until - 1_000 ? await syncTick(db, portal, until) : [];
    const last = sync.at(-1);
    await pingMonitor(db, holder, last?.state === SYNC_STEP.error ? 'fail' : 'success', last?.message ?? (job ? `import #${job.job.id} ${job.job.status}` : 'nothing to do'));
    await prunePings(db);
    return { job, sync };
  } catch (err) {
    await pingMonitor(db, holder, 'fail', (err as Error).message);
    throw err;
  }
}
