import type { Sql } from '../../db/client';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { DATA_TABLES } from '../../kbo/spec';
import { analyzeSampled } from '../sql/indexes';
import { dropAnalyzeTable, takeAnalyzeTable } from '../sql/jobs';

/** The tables an import may list for ANALYZE: the register's own, and their partitions (`enterprises_p07`). */
const ANALYZABLE: readonly string[] = [...DATA_TABLES, 'codes'];
const analyzable = (table: string) => ANALYZABLE.includes(table) || ANALYZABLE.includes(table.replace(/_p\d+$/, ''));

/**
 * A completed import leaves the planner's statistics of the tables it changed stale until
 * autovacuum comes by (on a fresh FULL, a name search plans 5–10× slower meanwhile). So the
 * import refreshes them itself: one ANALYZE per table (a sample of its rows, bounded whatever
 * the table's size, of STATISTICS_TARGET × 300 rows; a large partitioned table's partitions
 * one by one: finalize lists them, sql/indexes.ts analyzeTargets), taken from the job's list
 * until `deadline`, by finalize and then by the step calls that follow it (the page, the CLI,
 * the cron; a step takes at least one). Drivers take different tables at once (a try-lock
 * each, not the job's row), and the change list's steps go on meanwhile. A table is taken,
 * analysed and dropped from the list in one transaction, so a crash leaves it listed for the
 * next driver; one whose ANALYZE fails is logged and left to autovacuum, so a driver never
 * loops on it. Returns the tables analysed.
 */
export async function analyzeSteps(sql: Sql, jobId: number, deadline: number, atLeastOne = false): Promise<string[]> {
  const done: string[] = [];
  while (Date.now() < deadline || (atLeastOne && done.length === 0)) {
    let table: string | undefined;
    let taken: string | undefined;
    try {
      table = await sql.begin(async (tx) => {
        taken = await takeAnalyzeTable(tx, jobId);
        if (taken !== undefined && analyzable(taken)) await analyzeSampled(tx, taken);
        if (taken !== undefined) await dropAnalyzeTable(tx, jobId, taken);
        return taken;
      });
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      console.warn(`[kbo-import] ANALYZE ${taken ?? ''} after import #${jobId} failed; autovacuum will refresh it`, (err as Error).message);
      // Off the list, so no driver loops on it; nothing taken: the next step tries again.
      if (taken === undefined) break;
      await dropAnalyzeTable(sql, jobId, taken);
      continue;
    }
    if (table === undefined) break;
    done.push(table);
  }
  return done;
}
