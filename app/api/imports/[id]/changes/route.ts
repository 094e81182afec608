import { getDb } from '@/lib/db/client';
import type { JobContext } from '@/lib/http/job-route';
import { jobIdFrom } from '@/lib/http/params';
import { json, streamedDownload } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { changeFilterOf, importChanges, importChangesCsv } from '@/lib/register';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** What the import changed, per table and entity: `?table=&change=&number=&page=`, or `?format=csv` for the whole list. */
export const GET = route<JobContext>({}, async (request, { params }) => {
  const jobId = await jobIdFrom(params);
  const search = new URL(request.url).searchParams;
  const sql = await getDb();
  const filter = changeFilterOf(search);
  if (search.get('format') === 'csv') return streamedDownload(importChangesCsv(sql, jobId, filter), 'text/csv; charset=utf-8', `import-${jobId}-changes.csv`);
  return json(await importChanges(sql, jobId, filter));
});
