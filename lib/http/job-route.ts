import type { Db } from '../db/client';
import { getDb } from '../db/client';
import type { JobStatusView } from '../imports/view/status';
import { jobIdFrom } from './params';
import { json } from './respond';
import { route } from './route';

export type JobContext = { params: Promise<{ id: string }> };

/** A POST handler for a verb that takes only the job id and answers with its status. */
export function jobVerb(verb: (db: Db, input: { jobId: number }) => Promise<JobStatusView>) {
  return route<JobContext>({}, async (_request, { params }) => json(await verb(await getDb(), { jobId: await jobIdFrom(params) })));
}
