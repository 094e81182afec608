/** The import CLI's read-only commands: `list` (the imports, newest first) and `status <id>`. */
import { getDb } from '../../lib/db/client';
import { getJobStatus, listJobs } from '../../lib/imports';
import { historyLine, summary } from './format';
import { usage } from './usage';

/** `list` and `status <id>`: read only, so nobody needs psql to find an import's id or state. */
export async function show(what: 'list' | 'status', id: string | undefined, json: boolean): Promise<number> {
  const db = await getDb();
  if (what === 'list') {
    const jobs = await listJobs(db, 50);
    if (json) console.log(JSON.stringify(jobs, null, 2));
    else if (jobs.length === 0) console.log('no imports yet');
    else for (const j of jobs) console.log(historyLine(j));
    return 0;
  }
  const jobId = Number(id);
  if (!Number.isInteger(jobId) || jobId < 1) {
    console.error(usage);
    return 2;
  }
  const status = await getJobStatus(db, jobId);
  console.log(json ? JSON.stringify(status, null, 2) : summary(status));
  return 0;
}
