import { getDb } from '@/lib/db/client';
import { jobIdFrom } from '@/lib/http/params';
import { handle, json } from '@/lib/http/respond';
import { finalizeImport } from '@/lib/imports/finalize';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** finalize: every batch completed -> primary names, totals, job completed, staging cleaned. */
export function POST(_request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle(async () => json(await finalizeImport(await getDb(), { jobId: await jobIdFrom(params) })));
}
