import { env } from '../env';

/** Where notifications go, read from the settings (docs/configuration.md). */

export type Channel = 'webhook' | 'email' | 'healthcheck';

export interface Target {
  channel: Channel;
  /** Who it goes to, as a person reads it: never the secret URL itself. */
  recipient: string;
}

/** The webhook: NOTIFY_WEBHOOK_URL, else the sync's SYNC_WEBHOOK_URL. */
export const webhookUrl = () => env().NOTIFY_WEBHOOK_URL ?? env().SYNC_WEBHOOK_URL;

/** Email: SMTP_URL and NOTIFY_EMAIL_TO, both set. */
export const emailSettings = () => {
  const e = env();
  return e.SMTP_URL && e.NOTIFY_EMAIL_TO ? { smtpUrl: e.SMTP_URL, to: e.NOTIFY_EMAIL_TO, from: e.NOTIFY_EMAIL_FROM } : null;
};

export const healthcheckUrl = () => env().HEALTHCHECK_URL;

/** A URL as it may be shown: its host (and port) only; the path may hold a token. */
export function shownUrl(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

/** The channels an event goes to: the webhook and email, each when set. */
export function eventTargets(): Target[] {
  const out: Target[] = [];
  const hook = webhookUrl();
  if (hook) out.push({ channel: 'webhook', recipient: shownUrl(hook) });
  const mail = emailSettings();
  if (mail) out.push({ channel: 'email', recipient: mail.to });
  return out;
}

/** Every channel set, monitor included, as the pages show them. */
export function notifyChannels(): Target[] {
  const url = healthcheckUrl();
  return [...eventTargets(), ...(url ? [{ channel: 'healthcheck' as const, recipient: shownUrl(url) }] : [])];
}

/** A link to a page of the app: absolute with APP_URL, else the path. */
export function appLink(path: string): string {
  const base = env().APP_URL;
  return base ? new URL(path, base).toString() : path;
}
