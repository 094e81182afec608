import { CODE_TABLE, KBO_TABLES } from '../../kbo/spec';
import type { Tx } from '../../db/client';
import { ident } from '../../db/sql';

/**
 * Drops a job's staged rows (once it is completed, cancelled or a preview is discarded). When
 * they are the only rows in a staging table, as they usually are, TRUNCATE frees them at once
 * instead of deleting millions of rows one by one; the min/max check uses the job_id index.
 * Other jobs may stage beside it (a preview waiting for Apply, an import started meanwhile),
 * and TRUNCATE ignores which rows a check saw: so it runs only under the table's exclusive
 * lock, the check made again under it (a step of another job staging then has committed, and
 * is seen, or waits).
 */
export async function clearStaging(tx: Tx, jobId: number): Promise<void> {
  for (const staging of [...KBO_TABLES.map((t) => t.staging), CODE_TABLE.staging]) {
    const t = ident(tx, staging);
    const only = async () => {
      const [r] = await tx<{ lo: number | null; hi: number | null }[]>`select min(job_id) as lo, max(job_id) as hi from ${t}`;
      return r?.lo === null || r?.lo === undefined ? 'none' : r.lo === jobId && r.hi === jobId ? 'own' : 'shared';
    };
    const first = await only();
    if (first === 'none') continue;
    if (first === 'own') {
      await tx`lock table ${t} in access exclusive mode`;
      if ((await only()) === 'own') {
        await tx`truncate ${t}`;
        continue;
      }
    }
    await tx`delete from ${t} where job_id = ${jobId}`;
  }
}
