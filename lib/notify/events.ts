import type { Queryable } from '../db/client';
import { env } from '../env';
import { eventTargets, healthcheckUrl, shownUrl } from './config';
import { insertNotifications, type NewNotification } from './sql';

/** Every event a notification can tell of. */
export const NOTIFY_EVENTS = {
  importCompleted: 'import.completed',
  importFailed: 'import.failed',
  batchFailed: 'import.batch_failed',
  importStalled: 'import.stalled',
  syncFailed: 'sync.failed',
  syncLagging: 'sync.lagging',
  syncUpToDate: 'sync.up_to_date',
  syncPing: 'sync.ping',
  watchDigest: 'watch.digest',
  watchWithdrawn: 'watch.withdrawn',
  watchTest: 'watch.test',
} as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[keyof typeof NOTIFY_EVENTS];

/**
 * Records an event for every channel set (the webhook, email), in the caller's transaction:
 * the event and its notifications commit together, once (the event's key is unique per
 * channel). Nothing is recorded when no channel is set. Returns the notifications' ids, for a
 * caller that sends them at once; any process sends what is due (deliver.ts).
 */
export async function notify(sql: Queryable, n: NewNotification & { event: NotifyEvent }): Promise<number[]> {
  return insertNotifications(sql, n, eventTargets());
}

/**
 * A watchlist's digest (or its withdrawal), to the watchlist's own webhook and address (email
 * needs SMTP_URL): recorded once per watchlist and import, like any notification.
 */
export async function notifyWatchlist(sql: Queryable, n: NewNotification & { event: NotifyEvent; watchlistId: number }, to: { webhookUrl: string | null; email: string | null }): Promise<number[]> {
  const targets = [
    ...(to.webhookUrl ? [{ channel: 'webhook' as const, recipient: shownUrl(to.webhookUrl) }] : []),
    ...(to.email && env().SMTP_URL ? [{ channel: 'email' as const, recipient: to.email }] : []),
  ];
  return insertNotifications(sql, n, targets);
}

/** A monitor's ping (HEALTHCHECK_URL): `start`, `success` or `fail`, recorded like any notification. */
export async function recordPing(sql: Queryable, key: string, what: 'start' | 'success' | 'fail', text: string, syncRunId: number | null = null): Promise<number[]> {
  const url = healthcheckUrl();
  if (!url) return [];
  return insertNotifications(
    sql,
    { key: `${key}:${what}`, event: NOTIFY_EVENTS.syncPing, syncRunId, subject: `sync ${what}`, text, payload: { ping: what === 'success' ? '' : what } },
    [{ channel: 'healthcheck', recipient: shownUrl(url) }],
  );
}
