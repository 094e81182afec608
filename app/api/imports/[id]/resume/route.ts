import { jobVerb } from '@/lib/http/job-route';
import { resumeImport } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** resume: batches become claimable again. */
export const POST = jobVerb(resumeImport);
