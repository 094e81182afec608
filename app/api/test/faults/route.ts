import { jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { ImportFailure } from '@/lib/errors';
import { faultPlan, faultsEnabled, setFaults } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Test-only fault switch; 404 unless the server runs with IMPORT_TEST_FAULTS=1. */
export const POST = route({}, async (request) => {
  if (!faultsEnabled()) throw new ImportFailure('NOT_FOUND', 'Not found.');
  return json({ faults: setFaults(await jsonBody(request, faultPlan)) });
});
