import { getDb } from '@/lib/db/client';
import type { JobContext } from '@/lib/http/job-route';
import { jobIdFrom } from '@/lib/http/params';
import { json, streamedDownload } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { changeFilterOf, importChanges, importChangesCsv } from '@/lib/register';
import { findJob } from '@/lib/imports';
import { ImportFailure } from '@/lib/errors';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** What the import changed, per table and entity: `?table=&change=&number=&page=`, or `?format=csv` for the whole list (readers too, but not a preview's). */
export const GET = route<JobContext>({ allow: 'reader' }, async (request, { params }, principal) => {
  const jobId = await jobIdFrom(params);
  const search = new URL(request.url).searchParams;
  const sql = await getDb();
  // A preview is the admins' own business: a reader reads what imports did.
  if (principal?.role !== 'admin' && (await findJob(sql, jobId))?.preview) throw new ImportFailure('NOT_FOUND', `Import #${jobId} does not exist.`);
  const filter = changeFilterOf(search);
  if (search.get('format') === 'csv') return streamedDownload(importChangesCsv(sql, jobId, filter), 'text/csv; charset=utf-8', `import-${jobId}-changes.csv`);
  return json(await importChanges(sql, jobId, filter));
});
