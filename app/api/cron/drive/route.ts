import { getDb } from '@/lib/db/client';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { cronTick } from '@/lib/imports/drive/cron';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 60;

/** Cron: drive the active import for up to ~45 s (Vercel Cron calls it with `Authorization: Bearer $CRON_SECRET`). */
export const GET = route({}, async () => {
  const { job } = await cronTick(await getDb(), 45_000);
  return json(job ? { jobId: job.job.id, status: job.job.status, batches: job.batches } : { idle: true });
});
