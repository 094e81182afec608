/**
 * Notifications: an outbox of events (an import completed, failed or stalled, a sync failed or
 * lagged, a monitor's ping), written where they happen and sent by whichever process comes by
 * (the step calls, the cron, the sync), to a webhook, by email (SMTP) and to a monitor outside
 * the app. Depends on the database and the settings only.
 */
export { appLink, eventTargets, notifyChannels, type Channel } from './config';
export { deliverDue, deliverNow, emailBody, lastError, retryDelaySeconds } from './deliver';
export { notify, NOTIFY_EVENTS, notifyWatchlist, recordPing, type NotifyEvent } from './events';
export { jobNotifications, lastPing, recentNotifications, watchlistNotifications, type NotificationView } from './sql';
