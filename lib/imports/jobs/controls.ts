import { z } from 'zod';
import type { Db, Tx } from '../../db/client';
import { env } from '../../env';
import { ImportFailure } from '../errors';
import { ACTIVE_STATUSES, statusLabel, type JobStatus } from '../state/machine';
import { getJobStatus, type JobStatusView } from '../view/status';
import { startUndo, undoSteps } from './undo';

export const controlInput = z.object({
  jobId: z.number().int().positive(),
  /** Time spent undoing inside the request after cancel or rollback (0: leave it to the drivers). */
  budgetMs: z.number().int().min(0).max(60_000).optional(),
});
export type ControlInput = z.input<typeof controlInput>;

async function lockJob(tx: Tx, jobId: number) {
  const [job] = await tx<{ id: number; status: JobStatus; extract_number: number | null }[]>`
    select id, status, extract_number from import_jobs where id = ${jobId} for update`;
  if (!job) throw new ImportFailure('NOT_FOUND', `Import #${jobId} does not exist.`);
  return job;
}

function refuse(jobId: number, status: JobStatus, what: string): never {
  throw new ImportFailure('PRECONDITION_FAILED', `Import #${jobId} is ${statusLabel(status)}; ${what}`, { status });
}

/** Moves a job from `from` to `to` under its row lock; already at `to` is fine, anything else is refused. */
async function transition(db: Db, jobId: number, from: JobStatus, to: JobStatus, refusal: string): Promise<JobStatusView> {
  await db.$client.begin(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (job.status === to) return;
    if (job.status !== from) refuse(jobId, job.status, refusal);
    await tx`update import_jobs set status = ${to} where id = ${jobId}`;
  });
  return getJobStatus(db, jobId);
}

/**
 * pause: a paused job's batches are not claimed. Batches already applying finish (pause
 * acts at batch boundaries); one whose driver sees the pause first goes back to pending.
 */
export async function pauseImport(db: Db, raw: ControlInput): Promise<JobStatusView> {
  return transition(db, controlInput.parse(raw).jobId, 'running', 'paused', 'only a running import can be paused.');
}

/** resume: batches become claimable again; drivers pick the work up where it stands. */
export async function resumeImport(db: Db, raw: ControlInput): Promise<JobStatusView> {
  return transition(db, controlInput.parse(raw).jobId, 'paused', 'running', 'only a paused import can be resumed.');
}

/**
 * cancel: stop a running or paused import and undo what it applied, leaving every table as
 * it was before the job. The undo runs in steps (see undo.ts), first inside this request.
 */
export async function cancelImport(db: Db, raw: ControlInput): Promise<JobStatusView> {
  const input = controlInput.parse(raw);
  const { jobId } = input;
  await db.$client.begin(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (job.status === 'cancelling' || job.status === 'cancelled') return;
    if (job.status === 'completed') refuse(jobId, job.status, 'roll it back instead of cancelling it.');
    if (job.status !== 'running' && job.status !== 'paused' && job.status !== 'preparing') {
      refuse(jobId, job.status, 'only an import being prepared, running or paused can be cancelled.');
    }
    await startUndo(tx, jobId, 'cancelling');
  });
  await undoSteps(db.$client, jobId, input.budgetMs ?? env().IMPORT_BATCH_BUDGET_MS);
  return getJobStatus(db, jobId);
}

/**
 * rollback: return every table to its state before a completed import. Only the latest
 * applied import can be rolled back, and only while no other import is active.
 */
export async function rollbackImport(db: Db, raw: ControlInput): Promise<JobStatusView> {
  const input = controlInput.parse(raw);
  const { jobId } = input;
  await db.$client.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('kbo-import-sequence'))`;
    const job = await lockJob(tx, jobId);
    if (job.status === 'rolling_back' || job.status === 'rolled_back') return;
    if (job.status !== 'completed') refuse(jobId, job.status, 'only a completed import can be rolled back.');
    const [later] = await tx<{ id: number; extract_number: number }[]>`
      select id, extract_number from import_jobs where status = 'completed' and id > ${jobId} order by id desc limit 1`;
    if (later) {
      throw new ImportFailure(
        'PRECONDITION_FAILED',
        `Import #${later.id} (extract ${later.extract_number}) was applied after import #${jobId}; only the latest applied import can be rolled back, so roll back the later ones first, newest first.`,
        { latest: later.id },
      );
    }
    const [active] = await tx<{ id: number; status: JobStatus }[]>`
      select id, status from import_jobs where status = any(${ACTIVE_STATUSES}::text[]) limit 1`;
    if (active) {
      throw new ImportFailure('CONFLICT', `Import #${active.id} is ${statusLabel(active.status)}; finish or cancel it before rolling back.`, {
        jobId: active.id,
      });
    }
    await startUndo(tx, jobId, 'rolling_back');
  });
  await undoSteps(db.$client, jobId, input.budgetMs ?? env().IMPORT_BATCH_BUDGET_MS);
  return getJobStatus(db, jobId);
}
