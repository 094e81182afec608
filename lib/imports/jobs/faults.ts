import { z } from 'zod';
import { env } from '../../env';
import { ImportFailure } from '../../errors';

/**
 * A test-only fault switch, so the e2e and integration suites can make a batch fail or go
 * slowly on a real server. Off unless IMPORT_TEST_FAULTS=1; the route that sets it answers
 * 404 otherwise. The plan lives in this process (the one applying batches).
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

const holder = globalThis as unknown as { __kboImportFaults?: FaultPlan };

export function faultsEnabled(): boolean {
  return env().IMPORT_TEST_FAULTS;
}

export function setFaults(raw: z.input<typeof faultPlan>): FaultPlan {
  if (!faultsEnabled()) throw new ImportFailure('NOT_FOUND', 'The fault switch is off (IMPORT_TEST_FAULTS is not 1).');
  const plan = faultPlan.parse(raw);
  holder.__kboImportFaults = plan;
  return plan;
}

/** Waits as long as the plan says for one of its delays (nothing when the switch is off). */
async function hold(delay: 'stageDelayMs' | 'stallMs' | 'delayMs' | 'undoDelayMs'): Promise<void> {
  const ms = holder.__kboImportFaults?.[delay];
  if (ms && faultsEnabled()) await new Promise((r) => setTimeout(r, ms));
}

/** Called by prepare before it stages each file. */
export const injectStagingDelay = () => hold('stageDelayMs');

/** Called before each undo step's transaction. */
export const injectUndoDelay = () => hold('undoDelayMs');

/** Called after a claim, before the batch's transaction starts. */
export const injectStall = () => hold('stallMs');

/** Called inside a batch's transaction, before it applies anything. */
export async function injectFault(batch: { tableName: string; batchNumber: number; operation: string }): Promise<void> {
  await hold('delayMs');
  const plan = holder.__kboImportFaults;
  if (!plan || !faultsEnabled()) return;
  if (plan.transientFailures > 0) {
    plan.transientFailures -= 1;
    throw Object.assign(new Error('injected serialization failure'), { code: '40001' });
  }
  if (plan.failBatches > 0 && (!plan.table || plan.table === batch.tableName)) {
    plan.failBatches -= 1;
    throw new ImportFailure(
      'INTERNAL',
      `Injected test fault in batch ${batch.batchNumber} of ${batch.tableName} (${batch.operation}); retry it.`,
    );
  }
}
