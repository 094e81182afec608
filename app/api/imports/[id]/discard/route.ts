import { jobVerb } from '@/lib/http/job-route';
import { discardPreview } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** discard: drop a preview, its staging and what it worked out; the register never changed. */
export const POST = jobVerb((db, input) => discardPreview(db, input));
