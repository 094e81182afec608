import { getDb } from '@/lib/db/client';
import { jobIdFrom } from '@/lib/http/params';
import { handle, json } from '@/lib/http/respond';
import { importReport, rejectedRowsCsv } from '@/lib/imports/report';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** report: the JSON summary, or `?format=csv` for the rejected rows (file, line, column, value, reason). */
export function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  return handle(async () => {
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
    const report = await importReport(db, jobId);
    return json(report, 200, { 'content-disposition': `attachment; filename="import-${jobId}-report.json"` });
  });
}
