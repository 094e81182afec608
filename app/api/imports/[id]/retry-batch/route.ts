import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { jobIdFrom, jsonBody } from '@/lib/http/params';
import { handle, json } from '@/lib/http/respond';
import { retryBatches } from '@/lib/imports/retry';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const body = z.object({ batchId: z.number().int().positive().optional() });

/** retry-batch: `{ batchId }` puts one failed batch back in the queue; `{}` puts back every failed one. */
export function POST(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    const jobId = await jobIdFrom(params);
    const { batchId } = await jsonBody(request, body);
    return json(await retryBatches(await getDb(), { jobId, batchId }));
  });
}
