import { getDb } from '@/lib/db/client';
import { jobIdFrom } from '@/lib/http/params';
import { handle, json } from '@/lib/http/respond';
import { getJobStatus } from '@/lib/imports/status';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** status: overall and per-table progress, current and next batch, rows/s, ETA, failures. */
export function GET(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle(async () => json(await getJobStatus(await getDb(), await jobIdFrom(params))));
}
