import type { Sql } from '../db/client';
import { getDb } from '../db/client';
import { getJobStatus } from '../imports';
import { jobIdFrom } from './params';
import { json } from './respond';
import { route } from './route';

export type JobContext = { params: Promise<{ id: string }> };

/** A POST handler for a verb that takes only the job id: runs it, then answers with the job's status. */
export function jobVerb(verb: (db: Sql, input: { jobId: number }) => Promise<unknown>) {
  return route<JobContext>({}, async (_request, { params }) => {
    const db = await getDb();
    const jobId = await jobIdFrom(params);
    await verb(db, { jobId });
    return json(await getJobStatus(db, jobId));
  });
}
