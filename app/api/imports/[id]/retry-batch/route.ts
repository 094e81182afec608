import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import type { JobContext } from '@/lib/http/job-route';
import { jobIdFrom, jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { getJobStatus, retryBatches } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const body = z.object({ batchId: z.number().int().positive().optional() });

/** retry-batch: `{ batchId }` puts one failed batch back in the queue; `{}` puts back every failed one. */
export const POST = route<JobContext>({}, async (request, { params }) => {
  const jobId = await jobIdFrom(params);
  const { batchId } = await jsonBody(request, body);
  const db = await getDb();
  const { retried } = await retryBatches(db, { jobId, batchId });
  return json({ retried, progress: await getJobStatus(db, jobId) });
});
