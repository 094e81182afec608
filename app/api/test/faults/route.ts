import { jsonBody } from '@/lib/http/params';
import { handle, json } from '@/lib/http/respond';
import { faultPlan, faultsEnabled, setFaults } from '@/lib/imports/faults';
import { ImportFailure } from '@/lib/imports/errors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Test-only fault switch; 404 unless the server runs with IMPORT_TEST_FAULTS=1. */
export function POST(request: Request) {
  return handle(async () => {
    if (!faultsEnabled()) throw new ImportFailure('NOT_FOUND', 'Not found.');
    return json({ faults: setFaults(await jsonBody(request, faultPlan)) });
  });
}
