import type { Tx, Queryable } from '../../db/client';
import type { UndoProgress } from '../../db/schema';
import type { Fragment } from '../../db/sql';
import { JOB, JOB_MOVES, type JobMove } from './machine';

/**
 * The only code that changes a job's status: one function per move of JOB_MOVES, each a
 * single UPDATE guarded by `status = any(<from>)`. Each returns whether the job moved; a
 * caller that needs a reason for a refusal reads the job under its row lock first.
 */

async function move(sql: Queryable, jobId: number, name: JobMove, set: Fragment, also?: Fragment): Promise<boolean> {
  const m = JOB_MOVES[name];
  const rows = await sql`
    update import_jobs set status = ${m.to}, moved_at = now() ${set}
    where id = ${jobId} and status = any(${m.from as readonly string[]}::text[]) ${also ? sql`and ${also}` : sql``}
    returning id`;
  return rows.length > 0;
}

export interface JobError {
  code: string;
  message: string;
}

/** preparing -> running: the job's batches become claimable; `counts` records what was staged. */
export const markPrepared = (tx: Tx, jobId: number, counts: Record<string, unknown>) =>
  move(tx, jobId, 'prepared', tx`, prepared_at = now(), counts = ${JSON.stringify(counts)}::jsonb`);

/** preparing -> failed: the file was refused before anything was applied. */
export const markRefused = (tx: Tx, jobId: number, error: JobError) =>
  move(tx, jobId, 'refused', tx`, finished_at = now(), error = ${JSON.stringify(error)}::jsonb`);

/** preparing -> cancelling: refused after a FULL copied rows; undo removes them, then `failed`. */
export const markRefusedAfterCopy = (tx: Tx, jobId: number, undo: UndoProgress, error: JobError) =>
  move(tx, jobId, 'refusedAfterCopy', tx`, undo = ${JSON.stringify(undo)}::jsonb, error = ${JSON.stringify(error)}::jsonb`);

export const markPaused = (sql: Queryable, jobId: number) => move(sql, jobId, 'pause', sql`, paused_at = now()`);

/** Ends the import's pause, if it is in one: its seconds go to paused_seconds (not counted in its duration). */
const endPause = (sql: Queryable) => sql`, paused_seconds = paused_seconds + coalesce(extract(epoch from now() - paused_at), 0), paused_at = null`;

/** cancelling | rolling_back -> paused, remembering which undo it was (`undo.pausedFrom`). */
export const markUndoPaused = (sql: Queryable, jobId: number) =>
  move(sql, jobId, 'pauseUndo', sql`, undo = undo || jsonb_build_object('pausedFrom', status)`);

/**
 * Resume, back to where the pause left the job: the undo it was (cancelling, rolling_back),
 * else staging when it was not yet prepared, else its batches.
 */
export async function markResumed(sql: Queryable, jobId: number): Promise<boolean> {
  const undo = sql`, undo = undo - 'pausedFrom'`;
  const pausedFrom = (s: string) => sql`undo->>'pausedFrom' = ${s}`;
  const notUndo = sql`coalesce(undo->>'pausedFrom', '') = ''`;
  return (
    (await move(sql, jobId, 'resumeCancel', undo, pausedFrom(JOB.cancelling))) ||
    (await move(sql, jobId, 'resumeRollback', undo, pausedFrom(JOB.rolling_back))) ||
    (await move(sql, jobId, 'resumeStaging', endPause(sql), sql`prepared_at is null and ${notUndo}`)) ||
    move(sql, jobId, 'resume', endPause(sql), sql`prepared_at is not null and ${notUndo}`)
  );
}

/** preparing | running | paused -> cancelling, with what undoing it will remove and restore. */
export const markCancelling = (tx: Tx, jobId: number, undo: UndoProgress) =>
  move(tx, jobId, 'cancel', tx`, undo = ${JSON.stringify(undo)}::jsonb ${endPause(tx)}`);

/** running -> completed, with the totals of its batches and the tables whose statistics it left stale. */
export const markCompleted = (tx: Tx, jobId: number, totals: Record<string, number>, analyze: string[]) =>
  move(
    tx,
    jobId,
    'finalize',
    tx`, finished_at = now(), counts = counts || jsonb_build_object('totals', ${JSON.stringify(totals)}::jsonb), analyze_pending = ${analyze}::text[], watch_pending = true`,
    tx`not preview`,
  );

/** running -> previewed (a preview only): every batch worked out, with the totals they would apply. */
export const markPreviewed = (tx: Tx, jobId: number, totals: Record<string, number>) =>
  move(tx, jobId, 'previewDone', tx`, previewed_at = now(), counts = counts || jsonb_build_object('totals', ${JSON.stringify(totals)}::jsonb)`, tx`preview`);

/**
 * previewed -> running, no longer a preview: its batches go back to pending (the caller resets
 * them) and run for real. The time it waited is not counted in its duration, like a pause.
 */
export const markApplied = (tx: Tx, jobId: number) =>
  move(tx, jobId, 'apply', tx`, preview = false, paused_seconds = paused_seconds + extract(epoch from now() - previewed_at)`, tx`preview`);

/** A preview dropped, with why (discarded, expired, the register moved on): it changed nothing. */
export const markDiscarded = (tx: Tx, jobId: number, why: JobError) =>
  move(tx, jobId, 'discard', tx`, finished_at = now(), paused_at = null, error = ${JSON.stringify(why)}::jsonb`, tx`preview`);

/** completed -> rolling_back, with what undoing it will remove and restore. */
export const markRollingBack = (tx: Tx, jobId: number, undo: UndoProgress) =>
  move(tx, jobId, 'rollback', tx`, undo = ${JSON.stringify(undo)}::jsonb`);

/**
 * The end of an undo: cancelling -> cancelled (or -> failed when a refused prepare started
 * it), rolling_back -> rolled_back. Exactly one of the three applies to a job that is undoing.
 */
export async function markUndone(tx: Tx, jobId: number, refused: boolean): Promise<boolean> {
  const done = tx`, finished_at = now()`;
  return (await move(tx, jobId, refused ? 'refusalUndone' : 'cancelUndone', done)) || move(tx, jobId, 'rollbackUndone', done);
}
