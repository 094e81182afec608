import { getDb } from '@/lib/db/client';
import type { JobContext } from '@/lib/http/job-route';
import { jobIdFrom } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { importReport, rejectedRowsCsv } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** report: the JSON summary, or `?format=csv` for the rejected rows (file, line, column, value, reason). */
export const GET = route<JobContext>({}, async (request, { params }) => {
  const jobId = await jobIdFrom(params);
  const db = await getDb();
  if (new URL(request.url).searchParams.get('format') === 'csv') {
    return new Response(await rejectedRowsCsv(db, jobId), {
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="import-${jobId}-rejected.csv"`,
        'cache-control': 'no-store',
      },
    });
  }
  return json(await importReport(db, jobId), 200, { 'content-disposition': `attachment; filename="import-${jobId}-report.json"` });
});
