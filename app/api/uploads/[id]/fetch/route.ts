import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { jsonBody, uploadIdFrom } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { fetchSteps, getJobStatus } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

const body = z.object({ budgetMs: z.number().int().min(0).max(10_000).optional() });

/** Fetches the next parts of a URL upload within a time budget; `job` is set once the import exists. */
export const POST = route<Context>({}, async (request, { params }) => {
  const uploadId = await uploadIdFrom(params);
  const { budgetMs } = await jsonBody(request, body);
  const db = await getDb();
  const { upload, jobId } = await fetchSteps(db, uploadId, budgetMs);
  return json({ upload, job: jobId === null ? null : await getJobStatus(db, jobId) });
});
