import { jobVerb } from '@/lib/http/job-route';
import { rollbackImport } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** rollback: undo the latest completed import, in steps (step calls carry on). */
export const POST = jobVerb(rollbackImport);
