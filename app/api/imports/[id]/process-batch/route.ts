import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { jobIdFrom, jsonBody } from '@/lib/http/params';
import { handle, json } from '@/lib/http/respond';
import { processBatch } from '@/lib/imports/process-batch';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const body = z.object({ budgetMs: z.number().int().min(0).max(10_000).optional() });

/** process-batch: claim and apply runnable batches (within a time budget); safe to call concurrently. */
export function POST(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    const jobId = await jobIdFrom(params);
    const { budgetMs } = await jsonBody(request, body);
    return json(await processBatch(await getDb(), { jobId, budgetMs }));
  });
}
