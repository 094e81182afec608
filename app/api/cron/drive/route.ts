import { getDb } from '@/lib/db/client';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { portalFromEnv, scheduledTick } from '@/lib/sync';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 60;

const BUDGET_MS = 45_000;

/**
 * Cron (Vercel Cron calls it with `Authorization: Bearer $CRON_SECRET`), for up to ~45 s: drive
 * the active import; then, with a KBO portal account set, the sync: check the portal when due,
 * fetch the next file in parts and drive its import. A monitor (HEALTHCHECK_URL) hears each tick.
 */
export const GET = route({}, async () => {
  const { job, sync } = await scheduledTick(await getDb(), portalFromEnv(), BUDGET_MS);
  const last = sync[sync.length - 1];
  return json({
    ...(job ? { jobId: job.job.id, status: job.job.status, batches: job.batches } : { idle: sync.length === 0 }),
    ...(last ? { sync: { state: last.state, message: last.message, runId: last.run?.id ?? null } } : {}),
  });
});
