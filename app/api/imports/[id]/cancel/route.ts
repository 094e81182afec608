import { jobVerb } from '@/lib/http/job-route';
import { cancelImport } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** cancel: stop the import and undo what it applied, in steps (step calls carry on). */
export const POST = jobVerb(cancelImport);
