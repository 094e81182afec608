import type { Sql } from '../../db/client';
import { alertOnSuccess, alertsConfigured, maxLagDays, webhookUrl } from '../config';
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

/**
 * POSTs the alert to SYNC_WEBHOOK_URL as JSON (with a Slack-compatible `text`), trying up to
 * three times with a growing pause. What could not be delivered is kept in sync_state for the
 * status page; a delivery clears it. `pause` is for tests. Without a webhook, does nothing.
 */
export async function sendAlert(sql: Sql, alert: Alert, pause = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<boolean> {
  const url = webhookUrl();
  if (!url) return false;
  let problem = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...alert, text: `KBO sync: ${alert.text}` }),
        signal: AbortSignal.timeout(5_000),
      });
      if (res.ok) {
        await alertDelivered(sql, alert.kind);
        return true;
      }
      problem = `the webhook answered ${res.status}`;
    } catch {
      problem = 'the webhook could not be reached';
    }
    if (attempt < ATTEMPTS) await pause(500 * 2 ** (attempt - 1));
  }
  const note = `${alert.kind} alert of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC not delivered (${problem}, ${ATTEMPTS} tries): ${alert.text}`;
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
