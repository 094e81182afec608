import type { Db } from '../db/client';
import { getDb } from '../db/client';
import type { JobStatusView } from '../imports/status';
import { jobIdFrom } from './params';
import { handle, json } from './respond';

type RouteContext = { params: Promise<{ id: string }> };

/** A POST handler for a verb that takes only the job id and answers with its status. */
export function jobVerb(verb: (db: Db, input: { jobId: number }) => Promise<JobStatusView>) {
  return (_request: Request, { params }: RouteContext) =>
    handle(async () => json(await verb(await getDb(), { jobId: await jobIdFrom(params) })));
}
