import { jobVerb } from '@/lib/http/job-route';
import { applyPreview } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** apply: a preview worked out becomes the import; its staged batches run again for real (step calls drive them). */
export const POST = jobVerb(applyPreview);
