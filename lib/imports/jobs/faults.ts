import { z } from 'zod';
import type { Queryable, Sql } from '../../db/client';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import { faultDelay, takeFailure, writeFaults, type FaultDelay } from '../sql/faults';

/**
 * A test-only fault switch, so the suites can make a batch fail or go slowly on a real server.
 * The plan is a row of the database the server uses (import_test_faults), written by the test
 * itself: every app instance on that database meets the same plan, and a test's plan stays in
 * its own database. A server acts on it only with IMPORT_TEST_FAULTS=1; otherwise it never
 * reads it.
 */
export const faultPlan = z.object({
  /** Fail the next N batch applications (of `table`, when given). */
  failBatches: z.number().int().min(0).max(1_000).default(0),
  table: z.string().max(64).optional(),
  /** The next N batch transactions fail as a serialization failure would (SQLSTATE 40001). */
  transientFailures: z.number().int().min(0).max(1_000).default(0),
  /** Hold every batch this long inside its transaction, before applying it. */
  delayMs: z.number().int().min(0).max(30_000).default(0),
  /** Hold every batch this long between its claim and its transaction (a slow driver). */
  stallMs: z.number().int().min(0).max(30_000).default(0),
  /** Hold prepare this long before staging each file (a slow upload to watch). */
  stageDelayMs: z.number().int().min(0).max(30_000).default(0),
  /** Hold each undo step this long before it starts (a slow cancel or rollback to watch). */
  undoDelayMs: z.number().int().min(0).max(30_000).default(0),
});
export type FaultPlan = z.output<typeof faultPlan>;

export function faultsEnabled(): boolean {
  return env().IMPORT_TEST_FAULTS;
}

/** Replaces the plan in this database (`{}`: no faults). */
export async function setFaults(sql: Sql, raw: z.input<typeof faultPlan>): Promise<FaultPlan> {
  const plan = faultPlan.parse(raw);
  await writeFaults(sql, { ...plan, tableName: plan.table ?? null });
  return plan;
}

/** Waits as long as the plan says for one of its delays (nothing, and no query, when the switch is off). */
async function hold(sql: Queryable, delay: FaultDelay): Promise<void> {
  if (!faultsEnabled()) return;
  const ms = await faultDelay(sql, delay);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

/** Called by prepare before it stages each file. */
export const injectStagingDelay = (sql: Queryable) => hold(sql, 'stageDelayMs');

/** Called before each undo step's transaction. */
export const injectUndoDelay = (sql: Queryable) => hold(sql, 'undoDelayMs');

/** Called after a claim, before the batch's transaction starts. */
export const injectStall = (sql: Queryable) => hold(sql, 'stallMs');

/** What one try at a batch meets: taken from the plan before its transaction, so that its rollback does not give it back. */
export type BatchFault = 'transient' | 'batch' | null;

/** Before a batch's transaction: takes the failure this try meets, if any. */
export async function batchFault(sql: Sql, batch: { tableName: string }): Promise<BatchFault> {
  return faultsEnabled() ? takeFailure(sql, batch.tableName) : null;
}

/** Inside a batch's transaction, before it applies anything: the plan's delay, then the failure taken. */
export async function injectFault(tx: Queryable, fault: BatchFault, batch: { tableName: string; batchNumber: number; operation: string }): Promise<void> {
  await hold(tx, 'delayMs');
  if (fault === 'transient') throw Object.assign(new Error('injected serialization failure'), { code: '40001' });
  if (fault === 'batch') {
    throw new ImportFailure('INTERNAL', `Injected test fault in batch ${batch.batchNumber} of ${batch.tableName} (${batch.operation}); retry it.`);
  }
}
