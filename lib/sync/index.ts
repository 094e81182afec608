/**
 * The sync's way in: a step of the plan (fetch the portal's files, import them in order), the
 * CLI's whole run and the cron's tick that drive those steps, the portal client and the status
 * the page shows. Browser-safe parts: `./shared`.
 *
 * Inside: state.ts and plan.ts (pure rules), sql/ (every statement, per table), steps/ (one
 * step, the fetch, the alerts), drive/ (the run and the tick), view/ (the status, the words).
 */
export * from './shared';
export { portalConfigured, portalFromEnv } from './config';
export { scheduledTick, syncTick } from './drive/cron';
export { runSync, type SyncResult } from './drive/run';
export { previewSync, type SyncPreview } from './drive/preview';
export { type Portal, KboPortal } from './portal';
export { releaseLease } from './sql/state';
export { newHolder, type SyncProgress, syncStep } from './steps/step';
export { syncStatus, type SyncStatus } from './view/status';
