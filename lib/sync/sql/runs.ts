import type { Sql } from '../../db/client';
import type { SyncRun } from '../../db/schema';
import type { PlannedFile } from '../plan';
import type { SyncOutcome, SyncTrigger } from '../state';

/**
 * sync_runs: one row a sync, from its plan to how it ended. Rows come typed from the drizzle
 * schema, with the outcome and trigger narrowed to the state module's.
 */

export type SyncRunRow = Omit<SyncRun, 'outcome' | 'trigger' | 'plan'> & { outcome: SyncOutcome; trigger: SyncTrigger; plan: PlannedFile[] };

const runColumns = (sql: Sql) => sql`
  id, trigger, outcome, started_at as "startedAt", finished_at as "finishedAt", from_extract as "fromExtract",
  newest_on_portal as "newestOnPortal", plan, jobs, error`;

/** The latest runs, newest first. */
export async function recentRuns(sql: Sql, limit: number): Promise<SyncRunRow[]> {
  const runs = await sql<SyncRunRow[]>`select ${runColumns(sql)} from sync_runs order by id desc limit ${limit}`;
  return runs;
}

/** The run in progress, if any. */
export async function openRun(sql: Sql, inProgress: SyncOutcome): Promise<SyncRunRow | undefined> {
  const [run] = await sql<SyncRunRow[]>`select ${runColumns(sql)} from sync_runs where outcome = ${inProgress} order by id desc limit 1`;
  return run;
}

export interface NewRun {
  trigger: SyncTrigger;
  /** The extract the register is at (null: empty), and the portal's newest. */
  at: number | null;
  newest: number | null;
  plan: PlannedFile[];
  outcome: SyncOutcome;
  /** Whether the run is still going (no finish time yet). */
  open: boolean;
  error?: string | null;
}

export async function insertRun(sql: Sql, r: NewRun): Promise<SyncRunRow> {
  const [run] = await sql<SyncRunRow[]>`
    insert into sync_runs (trigger, outcome, from_extract, newest_on_portal, plan, error, finished_at)
    values (${r.trigger}, ${r.outcome}, ${r.at}, ${r.newest}, ${JSON.stringify(r.plan)}::jsonb, ${r.error ?? null},
            case when ${r.open} then null else now() end)
    returning ${runColumns(sql)}`;
  return run as SyncRunRow;
}

export async function endRun(sql: Sql, runId: number, outcome: SyncOutcome, error: string | null): Promise<SyncRunRow> {
  const [run] = await sql<SyncRunRow[]>`
    update sync_runs set outcome = ${outcome}, error = ${error}, finished_at = now() where id = ${runId} returning ${runColumns(sql)}`;
  return run as SyncRunRow;
}

/** Records the import that runs one file of the plan. */
export async function noteRunJob(sql: Sql, runId: number, fileName: string, jobId: number): Promise<void> {
  await sql`update sync_runs set jobs = jobs || ${JSON.stringify({ [fileName]: jobId })}::jsonb where id = ${runId}`;
}
