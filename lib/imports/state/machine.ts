/**
 * The job and batch state machines, in one place. Pure (no imports): the pages read it too.
 *
 * Every status a job or batch can have is spelled here and nowhere else; other code names
 * them as `JOB.running`, `BATCH.pending`, or through the groups and moves below. The moves
 * are the only ways a status changes: `job-moves.ts` and `batch-moves.ts` carry each one out
 * in SQL, guarded by `where status = any(<from>)`, and the actions a page may offer are
 * derived from the same table, so a button never offers what the move would refuse.
 */

/** `{ a: 'a', b: 'b' }` from its names: each status is named once, and typed as itself. */
function named<const T extends readonly string[]>(...names: T): { readonly [K in T[number]]: K } {
  return Object.fromEntries(names.map((n) => [n, n])) as { readonly [K in T[number]]: K };
}

export const JOB = named(
  'preparing',
  'running',
  'paused',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
  'rolling_back',
  'rolled_back',
  'previewed',
  'discarded',
);
export type JobStatus = (typeof JOB)[keyof typeof JOB];
export const JOB_STATUSES = Object.values(JOB) as readonly JobStatus[];

export const BATCH = named('pending', 'processing', 'completed', 'failed');
export type BatchStatus = (typeof BATCH)[keyof typeof BATCH];
export const BATCH_STATUSES = Object.values(BATCH) as readonly BatchStatus[];

/** How one attempt at a batch ended (import_batch_attempts.outcome, and a step answer). */
export const ATTEMPT = named('completed', 'failed', 'retried', 'lease_lost', 'released');
export type AttemptOutcome = (typeof ATTEMPT)[keyof typeof ATTEMPT];

// ---------------------------------------------------------------------------------------------
// Groups

/**
 * At most one import of a dataset is in one of these (a unique partial index enforces it). A
 * preview (`import_jobs.preview`) goes through the same first ones, staging and working out
 * its batches, without counting: it writes nothing to the register, so it holds nobody up.
 */
export const ACTIVE_STATUSES: readonly JobStatus[] = [JOB.preparing, JOB.running, JOB.paused, JOB.cancelling, JOB.rolling_back];

/** A preview whose every batch was worked out waits here for Apply or Discard (or its expiry). */
export const WAITING_STATUSES: readonly JobStatus[] = [JOB.previewed];

/** A job in one of these left the register as it was: its file may be imported again. */
export const VOID_STATUSES: readonly JobStatus[] = [JOB.failed, JOB.cancelled, JOB.rolled_back, JOB.discarded];

/** Nothing more will happen to a job in one of these. */
export const TERMINAL_STATUSES: readonly JobStatus[] = [JOB.completed, JOB.failed, JOB.cancelled, JOB.rolled_back, JOB.discarded];

/** Undoing what the job applied, in short steps driven like batches. */
export const UNDOING_STATUSES: readonly JobStatus[] = [JOB.cancelling, JOB.rolling_back];

/** A driver with nothing but the database (cron) can move these on; `preparing` only when its zip is stored here. */
export const DRIVEN_STATUSES: readonly JobStatus[] = [JOB.running, JOB.cancelling, JOB.rolling_back];


export const isActive = (s: JobStatus) => ACTIVE_STATUSES.includes(s);
export const isTerminal = (s: JobStatus) => TERMINAL_STATUSES.includes(s);
export const isUndoing = (s: JobStatus) => UNDOING_STATUSES.includes(s);
export const isVoid = (s: JobStatus) => VOID_STATUSES.includes(s);

/** `rolling_back` -> `rolling back`: the status as people read it. */
export const statusLabel = (s: string) => s.replace('_', ' ');

// ---------------------------------------------------------------------------------------------
// Moves

export interface Move<S extends string> {
  from: readonly S[];
  to: S;
  /** What makes the move, in a few words (the diagram's label). */
  by: string;
}

/** Every way a job's status changes. Where a move has two ends (undo's), each end is its own move. */
export const JOB_MOVES = {
  /** prepare staged every file and the rejected rows pass: batches become claimable. */
  prepared: { from: [JOB.preparing], to: JOB.running, by: 'every file staged' },
  /** prepare refused the file before anything was applied. */
  refused: { from: [JOB.preparing], to: JOB.failed, by: 'file refused' },
  /** prepare refused the file after a FULL copied rows: those are undone first, then `failed`. */
  refusedAfterCopy: { from: [JOB.preparing], to: JOB.cancelling, by: 'refused after copying' },
  /** Staging or batches stop at the next step boundary; a step in flight finishes first. */
  pause: { from: [JOB.preparing, JOB.running], to: JOB.paused, by: 'pause' },
  /** A job paused after its files were staged goes on with its batches… */
  resume: { from: [JOB.paused], to: JOB.running, by: 'resume (staged)' },
  /** …one paused while staging goes on staging. */
  resumeStaging: { from: [JOB.paused], to: JOB.preparing, by: 'resume (staging)' },
  /** An undo stops between its steps (each commits on its own); its job keeps what it undid. */
  pauseUndo: { from: [JOB.cancelling, JOB.rolling_back], to: JOB.paused, by: 'pause (undo)' },
  /** A paused undo goes on as what it was: a cancel… */
  resumeCancel: { from: [JOB.paused], to: JOB.cancelling, by: 'resume (cancel)' },
  /** …or a rollback. */
  resumeRollback: { from: [JOB.paused], to: JOB.rolling_back, by: 'resume (rollback)' },
  cancel: { from: [JOB.preparing, JOB.running, JOB.paused], to: JOB.cancelling, by: 'cancel' },
  finalize: { from: [JOB.running], to: JOB.completed, by: 'finalize' },
  rollback: { from: [JOB.completed], to: JOB.rolling_back, by: 'roll back' },
  cancelUndone: { from: [JOB.cancelling], to: JOB.cancelled, by: 'undone' },
  /** The undo of a prepare refused after copying rows ends here. */
  refusalUndone: { from: [JOB.cancelling], to: JOB.failed, by: 'undone (refused)' },
  rollbackUndone: { from: [JOB.rolling_back], to: JOB.rolled_back, by: 'undone' },
  /** A preview's batches were all worked out (and undone): it waits, its staging kept. */
  previewDone: { from: [JOB.running], to: JOB.previewed, by: 'preview worked out' },
  /** Apply a preview: its staged batches run again, for real, from the start. */
  apply: { from: [JOB.previewed], to: JOB.running, by: 'apply (preview)' },
  /** A preview dropped (Discard, a day left alone, the register moved on): staging goes. */
  discard: { from: [JOB.preparing, JOB.running, JOB.paused, JOB.previewed], to: JOB.discarded, by: 'discard (preview)' },
} as const satisfies Record<string, Move<JobStatus>>;
export type JobMove = keyof typeof JOB_MOVES;

/** Every way a batch's status changes. */
export const BATCH_MOVES = {
  /** Taken with a lease (attempts + 1); also a `processing` batch whose lease expired. */
  claim: { from: [BATCH.pending, BATCH.processing], to: BATCH.processing, by: 'claim (lease)' },
  /** Applied and completed in one transaction, by the lease holder. */
  complete: { from: [BATCH.processing], to: BATCH.completed, by: 'apply + complete, one tx' },
  fail: { from: [BATCH.processing], to: BATCH.failed, by: 'error: rolled back' },
  /** The job stopped before the batch applied: back as if never claimed. */
  release: { from: [BATCH.processing], to: BATCH.pending, by: 'job paused or stopped' },
  /** Undo starts: claimed batches go back (their holders find the lease gone). */
  reclaim: { from: [BATCH.processing], to: BATCH.pending, by: 'undo starts' },
  retry: { from: [BATCH.failed], to: BATCH.pending, by: 'retry-batch' },
} as const satisfies Record<string, Move<BatchStatus>>;
export type BatchMove = keyof typeof BATCH_MOVES;

export function canMove<S extends string>(move: Move<S>, status: S): boolean {
  return (move.from as readonly S[]).includes(status);
}

// ---------------------------------------------------------------------------------------------
// What a page may offer

/** Which operator actions the job accepts now (the page shows only these buttons). */
export interface JobActions {
  pause: boolean;
  resume: boolean;
  cancel: boolean;
  rollback: boolean;
  retry: boolean;
  finalize: boolean;
  /** A preview worked out: run it for real. */
  apply: boolean;
  /** A preview: drop it and its staging. */
  discard: boolean;
}

/** The facts besides the status that some actions need (each also checked where the action runs). */
export interface ActionFacts {
  /** The job is paused in the middle of an undo (cancel or rollback): it can only be resumed. */
  undoPaused?: boolean;
  /** No later import completed and none is active: only the latest import can be rolled back. */
  latestAndIdle: boolean;
  failedBatches: number;
  /** Every batch completed. */
  allBatchesDone: boolean;
  /** The job is a preview: it is discarded, never cancelled, and applied once worked out. */
  preview?: boolean;
}

/** Retry puts failed batches back while the job can still run them. */
export const RETRYABLE_STATUSES: readonly JobStatus[] = [JOB.running, JOB.paused];

/** Failed batches can go back in the queue (the job can still run them; a paused undo cannot). */
export const canRetry = (status: JobStatus, undoPaused: boolean) => RETRYABLE_STATUSES.includes(status) && !undoPaused;

export function actionsFor(status: JobStatus, facts: ActionFacts): JobActions {
  return {
    // Once every batch is done nothing is left to pause: the next call finalizes (and a Pause
    // clicked then would meet a completed import).
    pause: (canMove(JOB_MOVES.pause, status) && !(status === JOB.running && facts.allBatchesDone)) || canMove(JOB_MOVES.pauseUndo, status),
    resume: canMove(JOB_MOVES.resume, status),
    cancel: canMove(JOB_MOVES.cancel, status) && !facts.undoPaused && !facts.preview,
    rollback: canMove(JOB_MOVES.rollback, status) && facts.latestAndIdle,
    retry: canRetry(status, Boolean(facts.undoPaused)) && facts.failedBatches > 0,
    finalize: canMove(JOB_MOVES.finalize, status) && facts.allBatchesDone,
    apply: canMove(JOB_MOVES.apply, status) && Boolean(facts.preview),
    discard: canMove(JOB_MOVES.discard, status) && Boolean(facts.preview),
  };
}

// ---------------------------------------------------------------------------------------------
// The diagram (docs/imports.md and lib/imports/README.md hold its output; a unit test keeps them equal)

/** The moves as a plain-text table: the move's name, where it starts, where it leads, what makes it. */
export function diagram(moves: Record<string, Move<string>>): string {
  return Object.entries(moves)
    .map(([name, m]) => `${name.padEnd(18)} ${m.from.join(' | ').padEnd(41)} ─► ${m.to.padEnd(13)} ${m.by}`.trimEnd())
    .join('\n');
}
