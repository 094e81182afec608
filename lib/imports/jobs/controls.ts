import { z } from 'zod';
import type { Sql, Tx } from '../../db/client';
import { env } from '../../env';
import { ImportFailure } from '../../errors';
import { undoPlan } from '../sql/batches';
import { revivalConflicts } from '../sql/keys';
import { activeJob, completedAfter, getJob } from '../sql/jobs';
import { lockSequence } from '../sql/locks';
import { markCancelling, markPaused, markResumed, markRollingBack, markUndoPaused } from '../state/job-moves';
import { canMove, JOB, JOB_MOVES, statusLabel, type JobMove, type JobStatus } from '../state/machine';
import { undoSteps, type UndoOutcome } from './undo';
import { discardPreview } from './preview';
import { withdrawMatches } from '../../watch';

export const controlInput = z.object({
  jobId: z.number().int().positive(),
  /** Time spent undoing inside the request after cancel or rollback (0: leave it to the drivers). */
  budgetMs: z.number().int().min(0).max(60_000).optional(),
});
export type ControlInput = z.input<typeof controlInput>;

/** What a control did: the job's status after it, and whether this call moved it (false: it was there already). */
export interface Controlled {
  jobId: number;
  status: JobStatus;
  moved: boolean;
  /** Cancel and rollback: the undo steps taken inside the call. */
  undone?: UndoOutcome[];
}

function refuse(jobId: number, status: JobStatus, what: string): never {
  throw new ImportFailure('PRECONDITION_FAILED', `Import #${jobId} is ${statusLabel(status)}; ${what}`, { status });
}

/**
 * Makes `move` under the job's row lock: a job already where the move leads (or, `done`,
 * past it) is left alone; one the move cannot start from is refused with `refusal`.
 */
async function control(
  tx: Tx,
  jobId: number,
  name: JobMove,
  refusal: string,
  make: (tx: Tx) => Promise<boolean>,
  done: readonly JobStatus[] = [],
): Promise<Controlled> {
  const job = await getJob(tx, jobId, 'update');
  const move = JOB_MOVES[name];
  if (job.status === move.to || done.includes(job.status)) return { jobId, status: job.status, moved: false };
  if (!canMove(move, job.status)) refuse(jobId, job.status, refusal);
  await make(tx);
  return { jobId, status: move.to, moved: true };
}

/**
 * pause: a paused job's batches are not claimed. Batches already applying finish (pause
 * acts at batch boundaries); one whose driver sees the pause first goes back to pending.
 */
export async function pauseImport(db: Sql, raw: ControlInput): Promise<Controlled> {
  const { jobId } = controlInput.parse(raw);
  return db.begin(async (tx) => {
    const job = await getJob(tx, jobId, 'update');
    // An undo stops between its steps; resume carries it on.
    if (canMove(JOB_MOVES.pauseUndo, job.status)) {
      await markUndoPaused(tx, jobId);
      return { jobId, status: JOB.paused, moved: true };
    }
    return control(tx, jobId, 'pause', 'only an import being prepared, running, cancelled or rolled back can be paused.', (tx) => markPaused(tx, jobId));
  });
}

/** resume: batches become claimable again; drivers pick the work up where it stands. */
export async function resumeImport(db: Sql, raw: ControlInput): Promise<Controlled> {
  const { jobId } = controlInput.parse(raw);
  return db.begin(async (tx) => {
    const job = await getJob(tx, jobId, 'update');
    // Already going on (staging or batches): resuming again is harmless.
    if (job.status === JOB.running || job.status === JOB.preparing) return { jobId, status: job.status, moved: false };
    if (!canMove(JOB_MOVES.resume, job.status)) refuse(jobId, job.status, 'only a paused import can be resumed.');
    await markResumed(tx, jobId);
    return { jobId, status: (await getJob(tx, jobId)).status, moved: true };
  });
}

/**
 * cancel: stop an import being prepared, running or paused and undo what it applied, leaving
 * every table as it was before the job. The undo runs in steps (see undo.ts), first inside
 * this request.
 */
export async function cancelImport(db: Sql, raw: ControlInput): Promise<Controlled> {
  const input = controlInput.parse(raw);
  const { jobId } = input;
  // A preview applied nothing: cancelling it is discarding it.
  if ((await getJob(db, jobId)).preview) return discardPreview(db, { jobId });
  const did = await db.begin(async (tx) => {
    const job = await getJob(tx, jobId, 'update');
    if (job.status === JOB.completed) refuse(jobId, job.status, 'roll it back instead of cancelling it.');
    if (job.undo?.pausedFrom) refuse(jobId, job.status, `its ${job.undo.pausedFrom === JOB.rolling_back ? 'rollback' : 'cancel'} is paused; resume it to finish undoing.`);
    const why = 'only an import being prepared, running or paused can be cancelled.';
    return control(tx, jobId, 'cancel', why, async (tx) => markCancelling(tx, jobId, await undoPlan(tx, jobId)), [JOB.cancelled]);
  });
  return finishUndo(db, did, input.budgetMs);
}

/**
 * rollback: return every table to its state before a completed import. Only the latest
 * applied import can be rolled back, and only while no other import is active.
 */
export async function rollbackImport(db: Sql, raw: ControlInput): Promise<Controlled> {
  const input = controlInput.parse(raw);
  const { jobId } = input;
  const did = await db.begin(async (tx) => {
    await lockSequence(tx);
    return control(
      tx,
      jobId,
      'rollback',
      'only a completed import can be rolled back.',
      async (tx) => {
        const later = await completedAfter(tx, jobId);
        if (later) {
          throw new ImportFailure(
            'PRECONDITION_FAILED',
            `Import #${later.id} (extract ${later.extractNumber}) was applied after import #${jobId}; only the latest applied import can be rolled back, so roll back the later ones first, newest first.`,
            { latest: later.id },
          );
        }
        const active = await activeJob(tx);
        if (active) {
          throw new ImportFailure('CONFLICT', `Import #${active.id} is ${statusLabel(active.status)}; finish or cancel it before rolling back.`, {
            jobId: active.id,
          });
        }
        await refuseDoubleRevival(tx, jobId);
        // Undone, it will have changed nothing: its watchlist matches are withdrawn (kept, marked,
        // so a program that read them hears of it), and its change list goes, a chunk per undo
        // step (forgetChangesChunk), unread meanwhile (only a completed import's is read).
        await withdrawMatches(tx, jobId);
        return markRollingBack(tx, jobId, await undoPlan(tx, jobId));
      },
      [JOB.rolled_back],
    );
  });
  return finishUndo(db, did, input.budgetMs);
}

/** A rollback never makes a key of enterprises, establishments or branches current twice. */
async function refuseDoubleRevival(tx: Tx, jobId: number): Promise<void> {
  const job = await getJob(tx, jobId);
  const clashes = await revivalConflicts(tx, job.extractNumber as number);
  if (!clashes.length) return;
  const listed = clashes.map((c) => `${c.table} ${c.key} (current since extract ${c.since})`).join(', ');
  throw new ImportFailure(
    'PRECONDITION_FAILED',
    `Rolling back import #${jobId} would make rows it ended current again while another row of the same key is current: ${listed}. Those rows were not made by this import; end them first, or import a FULL to resynchronise.`,
    { conflicts: clashes },
  );
}

/** After cancel or rollback: the first undo steps, inside the same request. */
async function finishUndo(db: Sql, did: Controlled, budgetMs: number | undefined): Promise<Controlled> {
  const undone = await undoSteps(db, did.jobId, budgetMs ?? env().IMPORT_BATCH_BUDGET_MS);
  const last = undone.at(-1);
  return { ...did, undone, status: last?.finished ? (await getJob(db, did.jobId)).status : did.status };
}
