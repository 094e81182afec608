import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import type { JobContext } from '@/lib/http/job-route';
import { jobIdFrom, jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { driveStep } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const body = z.object({ budgetMs: z.number().int().min(0).max(10_000).optional() });

/**
 * step: moves the import on by one bounded call, whatever its status asks: prepare steps while
 * `preparing`, runnable batches while `running`, undo steps while cancelling or rolling back.
 * Safe to call concurrently.
 */
export const POST = route<JobContext>({}, async (request, { params }) => {
  const jobId = await jobIdFrom(params);
  const { budgetMs } = await jsonBody(request, body);
  return json(await driveStep(await getDb(), { jobId, budgetMs }));
});
