/**
 * The sync's way in: a step of the plan (fetch the portal's files, import them in order), the
 * cron's tick, the portal client and the status the page shows. Browser-safe parts: `./shared`.
 */
export * from './shared';
export { syncTick } from './cron';
export { KboPortal } from './portal';
export { runSync } from './run';
export { syncStatus, type SyncStatus } from './status';
export { portalConfigured, portalFromEnv, releaseLease, type SyncProgress, syncStep } from './sync';
