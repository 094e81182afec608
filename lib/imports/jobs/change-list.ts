import type { Sql } from '../../db/client';
import { changePartsProgress, planChangeParts, workOutPart } from '../sql/changes';
import { JOB } from '../state/machine';

/**
 * What a completed import changed is worked out once, a part at a time (a resync batch's key
 * range, or an UPDATE's table; sql/changes.ts), and kept in import_changes: reading a page of
 * it then costs the same whatever the import's size. Finalize starts it within its budget; the
 * step calls after it (the page, the CLI, the cron) do the rest, each taking at least one part.
 * Returns how many parts this call worked out.
 */
export async function changeListSteps(sql: Sql, job: { id: number; extractNumber: number | null }, deadline: number, atLeastOne = false): Promise<number> {
  if (job.extractNumber === null) return 0;
  let done = 0;
  while (Date.now() < deadline || (atLeastOne && done === 0)) {
    const took = await sql.begin((tx) => workOutPart(tx, job.id, job.extractNumber as number));
    if (!took) break;
    done++;
  }
  return done;
}

/**
 * A completed import's change list, planned if it never was (an import completed before the
 * list was kept): the step calls, or the cron, then work it out. How far it has come.
 */
export async function ensureChangeList(sql: Sql, job: { id: number; mode: string | null; status: string; extractNumber: number | null }): Promise<{ done: number; total: number; reissued: Record<string, number> }> {
  const progress = await changePartsProgress(sql, job.id);
  if (progress.total > 0 || job.status !== JOB.completed || job.mode === 'initial' || job.extractNumber === null) return progress;
  await sql.begin((tx) => planChangeParts(tx, job.id, job.mode === 'resync', job.extractNumber as number));
  return changePartsProgress(sql, job.id);
}
