import { jobVerb } from '@/lib/http/job-route';
import { pauseImport } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** pause: batches stop being claimed (batches already applying finish). */
export const POST = jobVerb(pauseImport);
