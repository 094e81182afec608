/**
 * The sync's states and the rule every driver of it follows (the CLI's run, the cron's tick,
 * the page's button): pure, so the page shares it. The values are the ones stored in
 * sync_runs.outcome, sync_state.last_check_outcome and sync_state.last_alert_kind.
 */

/** What one sync step did; see SyncProgress. */
export const SYNC_STEP = {
  /** Another sync holds the lease. */
  busy: 'busy',
  /** Nothing new on the portal, or no check due. */
  checked: 'checked',
  planned: 'planned',
  fetching: 'fetching',
  /** An import to drive. */
  importing: 'importing',
  /** An import is paused: the sync waits for it to be resumed or cancelled. */
  waiting: 'waiting',
  done: 'done',
  error: 'error',
} as const;
export type SyncStepState = (typeof SYNC_STEP)[keyof typeof SYNC_STEP];

/** How a sync run ended (sync_runs.outcome). */
export const SYNC_OUTCOME = { inProgress: 'in_progress', upToDate: 'up_to_date', error: 'error' } as const;
export type SyncOutcome = (typeof SYNC_OUTCOME)[keyof typeof SYNC_OUTCOME];

/** Who started a sync run (sync_runs.trigger). */
export const SYNC_TRIGGER = { cli: 'cli', cron: 'cron', page: 'page' } as const;
export type SyncTrigger = (typeof SYNC_TRIGGER)[keyof typeof SYNC_TRIGGER];

/** sync_state.last_check_outcome after a listing that answered; otherwise it holds the error's message. */
export const CHECK_OK = 'ok';

/** What an alert is about (sync_state.last_alert_kind). */
export const ALERT = { failure: 'failure', lag: 'lag', success: 'success' } as const;
export type AlertKind = (typeof ALERT)[keyof typeof ALERT];

/** What a driver does after a step: ask the next step, drive the import it names, or stop. */
export function afterStep(state: SyncStepState): 'step' | 'drive' | 'stop' {
  if (state === SYNC_STEP.planned || state === SYNC_STEP.fetching) return 'step';
  if (state === SYNC_STEP.importing) return 'drive';
  return 'stop';
}

/** A sync that stopped here left the register current (or the portal lists nothing newer). */
export const endsCurrent = (state: SyncStepState) => state === SYNC_STEP.checked || state === SYNC_STEP.done;

/** A stop an admin must hear about (the page shows it as a problem). */
export const isProblem = (state: SyncStepState) => state === SYNC_STEP.error || state === SYNC_STEP.busy || state === SYNC_STEP.waiting;

/** Steps after which the alerts are considered (a failure, a success if asked, a lag). */
export const alertsAfter = (state: SyncStepState) => state === SYNC_STEP.error || state === SYNC_STEP.checked || state === SYNC_STEP.done;

/** Steps after which the page's holder lets the lease go (the sync ended here for now). */
export const endsStepping = (state: SyncStepState) => endsCurrent(state) || state === SYNC_STEP.error;
