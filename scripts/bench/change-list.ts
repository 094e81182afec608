/** bench:register's change list: worked out as the step calls do it, a part per call, timed. */
import type { Sql } from '../../lib/db/client';
import { changeListSteps, ensureChangeList, getJob } from '../../lib/imports';

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** The update's change list, worked out as the step calls do it (planned again from scratch), a part per call, timed. */
export async function workOutChangeList(sql: Sql, jobId: number): Promise<{ parts: number; entries: number; seconds: number; longestMs: number }> {
  await sql`delete from import_changes where job_id = ${jobId}`;
  await sql`delete from import_change_parts where job_id = ${jobId}`;
  const job = await getJob(sql, jobId);
  const t0 = performance.now();
  let longestMs = 0;
  for (let p = await ensureChangeList(sql, job); p.done < p.total; p = await ensureChangeList(sql, job)) {
    const t1 = performance.now();
    await changeListSteps(sql, job, 0, true);
    longestMs = Math.max(longestMs, performance.now() - t1);
  }
  const [r] = await sql<{ parts: number; entries: number }[]>`
    select (select count(*)::int from import_change_parts where job_id = ${jobId}) as parts, (select count(*)::int from import_changes where job_id = ${jobId}) as entries`;
  return { parts: r?.parts ?? 0, entries: r?.entries ?? 0, seconds: seconds(t0), longestMs };
}

