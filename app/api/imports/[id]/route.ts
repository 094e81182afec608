import { getDb } from '@/lib/db/client';
import type { JobContext } from '@/lib/http/job-route';
import { jobIdFrom } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { getJobStatus } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** status: overall and per-table progress, current and next batch, rows/s, ETA, failures, actions. */
export const GET = route<JobContext>({}, async (_request, { params }) => json(await getJobStatus(await getDb(), await jobIdFrom(params))));
