import type { Queryable, Sql } from '../../db/client';

/** Every statement on import_test_faults: the test-only fault plan, one row. */

export interface FaultRow {
  failBatches: number;
  tableName: string | null;
  transientFailures: number;
  delayMs: number;
  stallMs: number;
  stageDelayMs: number;
  undoDelayMs: number;
}

export async function writeFaults(sql: Sql, f: FaultRow): Promise<void> {
  await sql`
    insert into import_test_faults (id, fail_batches, table_name, transient_failures, delay_ms, stall_ms, stage_delay_ms, undo_delay_ms)
    values (1, ${f.failBatches}, ${f.tableName}, ${f.transientFailures}, ${f.delayMs}, ${f.stallMs}, ${f.stageDelayMs}, ${f.undoDelayMs})
    on conflict (id) do update set fail_batches = excluded.fail_batches, table_name = excluded.table_name,
      transient_failures = excluded.transient_failures, delay_ms = excluded.delay_ms, stall_ms = excluded.stall_ms,
      stage_delay_ms = excluded.stage_delay_ms, undo_delay_ms = excluded.undo_delay_ms`;
}

export type FaultDelay = 'delayMs' | 'stallMs' | 'stageDelayMs' | 'undoDelayMs';

/** One of the plan's delays (0 with no plan). */
export async function faultDelay(sql: Queryable, delay: FaultDelay): Promise<number> {
  const [row] = await sql<{ ms: number }[]>`
    select case ${delay}::text when 'delayMs' then delay_ms when 'stallMs' then stall_ms
      when 'stageDelayMs' then stage_delay_ms else undo_delay_ms end as ms
    from import_test_faults where id = 1`;
  return row?.ms ?? 0;
}

/**
 * Takes one failure from the plan for a batch of `table`, atomically (several drivers share
 * one plan): a transient one first, else a batch failure when the plan names this table or none.
 */
export async function takeFailure(sql: Sql, table: string): Promise<'transient' | 'batch' | null> {
  const [row] = await sql<{ kind: 'transient' | 'batch' }[]>`
    with plan as (
      select transient_failures as transient, fail_batches as failing, table_name from import_test_faults where id = 1 for update
    )
    update import_test_faults f
    set transient_failures = case when plan.transient > 0 then plan.transient - 1 else 0 end,
        fail_batches = case when plan.transient > 0 then plan.failing else plan.failing - 1 end
    from plan
    where f.id = 1 and (plan.transient > 0 or (plan.failing > 0 and (plan.table_name is null or plan.table_name = ${table})))
    returning case when plan.transient > 0 then 'transient' else 'batch' end as kind`;
  return row?.kind ?? null;
}
