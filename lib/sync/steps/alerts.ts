import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db/client';
import { deliverNow, lastError, notify, NOTIFY_EVENTS } from '../../notify';
import { alertOnSuccess, alertsConfigured, maxLagDays } from '../config';
import { alertDelivered, alertUndelivered, lagAlertDue, lagDays } from '../sql/state';
import { ALERT, alertsAfter, SYNC_STEP, type AlertKind, type SyncStepState } from '../state';

export interface Alert {
  kind: AlertKind;
  /** One line a person reads (Slack shows `text`). */
  text: string;
  registerExtract: number | null;
  portalNewest: number | null;
  lagDays: number | null;
  runId: number | null;
}

const ATTEMPTS = 3;

const EVENT = { [ALERT.failure]: NOTIFY_EVENTS.syncFailed, [ALERT.lag]: NOTIFY_EVENTS.syncLagging, [ALERT.success]: NOTIFY_EVENTS.syncUpToDate } as const;

/**
 * Records the alert in the notifications outbox for every channel set (the webhook: JSON with a
 * Slack-compatible `text`; email) and sends it at once, up to three tries with a growing pause;
 * what still failed is retried later with backoff by whichever process comes by, and the
 * webhook's failure is kept in sync_state for the status page (a delivery clears it). `pause`
 * is for tests. With no channel set, does nothing.
 */
export async function sendAlert(sql: Sql, alert: Alert, pause?: (ms: number) => Promise<unknown>): Promise<boolean> {
  const text = `KBO sync: ${alert.text}`;
  const facts = { kind: alert.kind, registerExtract: alert.registerExtract, portalNewest: alert.portalNewest, lagDays: alert.lagDays, runId: alert.runId };
  const ids = await notify(sql, {
    key: `sync:${alert.kind}:${alert.runId ?? 'none'}:${randomUUID()}`,
    event: EVENT[alert.kind],
    syncRunId: alert.runId,
    subject: `[KBO sync] ${alert.kind === ALERT.failure ? 'failed' : alert.kind === ALERT.lag ? 'the register lags' : 'up to date'}`,
    text,
    payload: facts,
  });
  if (ids.length === 0) return false;
  const delivered = await deliverNow(sql, ids, ATTEMPTS, pause);
  const failed = ids.filter((id) => !delivered.includes(id));
  if (failed.length === 0) {
    await alertDelivered(sql, alert.kind);
    return true;
  }
  const problems = await Promise.all(failed.map((id) => lastError(sql, id)));
  const note = `${alert.kind} alert of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC not delivered (${problems.filter(Boolean).join('; ')}, ${ATTEMPTS} tries): ${alert.text}`;
  await alertUndelivered(sql, note);
  return false;
}

/** Alerts after a step: every failure; a lag past SYNC_MAX_LAG_DAYS (once a day while it lasts); a success, if asked. */
export async function alertAfter(sql: Sql, step: { state: SyncStepState; message: string; runId: number | null }): Promise<void> {
  if (!alertsConfigured() || !alertsAfter(step.state)) return;
  const lag = await lagDays(sql);
  const base = { registerExtract: lag.at, portalNewest: lag.newest, lagDays: lag.days, runId: step.runId };
  if (step.state === SYNC_STEP.error) {
    await sendAlert(sql, { kind: ALERT.failure, text: `the sync failed: ${step.message}`, ...base });
  } else if (step.state === SYNC_STEP.done && alertOnSuccess()) {
    await sendAlert(sql, { kind: ALERT.success, text: step.message, ...base });
  }
  if (lag.days !== null && lag.days > maxLagDays() && (await lagAlertDue(sql))) {
    await sendAlert(sql, {
      kind: ALERT.lag,
      text: `the register is at extract ${lag.at}, ${lag.days} days behind the portal's newest (${lag.newest}); more than the ${maxLagDays()} allowed (SYNC_MAX_LAG_DAYS).`,
      ...base,
    });
  }
}
