import { CODE_TABLE, KBO_TABLES } from '../../kbo/spec';
import type { Tx } from '../../db/client';
import { ident } from '../../db/sql';

/**
 * Drops a job's staged rows (once it is completed or cancelled). When they are the only rows
 * in a staging table, as they are since one import runs at a time, TRUNCATE frees them at once
 * instead of deleting millions of rows one by one; the min/max check uses the job_id index.
 */
export async function clearStaging(tx: Tx, jobId: number): Promise<void> {
  for (const staging of [...KBO_TABLES.map((t) => t.staging), CODE_TABLE.staging]) {
    const t = ident(tx, staging);
    const [r] = await tx<{ lo: number | null; hi: number | null }[]>`select min(job_id) as lo, max(job_id) as hi from ${t}`;
    if (r?.lo === null || r?.lo === undefined) continue;
    if (r.lo === jobId && r.hi === jobId) await tx`truncate ${t}`;
    else await tx`delete from ${t} where job_id = ${jobId}`;
  }
}
