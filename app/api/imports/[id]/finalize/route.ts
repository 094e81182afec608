import { jobVerb } from '@/lib/http/job-route';
import { finalizeImport } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** finalize: every batch completed -> primary names, totals, job completed, staging cleaned. */
export const POST = jobVerb(finalizeImport);
