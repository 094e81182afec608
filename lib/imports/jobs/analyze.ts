import type { Sql } from '../../db/client';
import { ident } from '../../db/sql';
import { DATA_TABLES } from '../../kbo/spec';
import { takeAnalyzeTable } from '../sql/jobs';

/**
 * A completed import leaves the planner's statistics of the tables it changed stale until
 * autovacuum comes by (on a fresh FULL, a name search plans 5–10× slower meanwhile). So the
 * import refreshes them itself: one ANALYZE per table (a sample of its rows, bounded whatever
 * the table's size), taken from the job's list one at a time until `deadline`, by finalize
 * and then by the step calls that follow it (the page, the CLI, the cron; a step takes at
 * least one). Returns the tables analysed.
 */
export async function analyzeSteps(sql: Sql, jobId: number, deadline: number, atLeastOne = false): Promise<string[]> {
  const done: string[] = [];
  while (Date.now() < deadline || (atLeastOne && done.length === 0)) {
    const table = await takeAnalyzeTable(sql, jobId);
    if (table === undefined) break;
    // Only the register's own tables are ever listed (changedTables); the name is checked again here.
    if (!(DATA_TABLES as readonly string[]).includes(table) && table !== 'codes') continue;
    await sql`analyze ${ident(sql, table)}`;
    done.push(table);
  }
  return done;
}
