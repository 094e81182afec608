import nodemailer from 'nodemailer';
import type { Queryable } from '../db/client';
import { env } from '../env';
import { createHmac } from 'node:crypto';
import { guardedPost } from '../net/remote';
import { emailSettings, healthcheckUrl, webhookUrl } from './config';
import { anyDue, claimDue, markDelivered, markUndelivered, type Claimed } from './sql';

/** How long one claim lasts: a sender that died leaves it to another after this. */
const LEASE_SECONDS = 60;
/** Attempts at a watchlist's digest: with the default pauses (30 s doubling, at most an hour apart), about a day. */
export const WATCH_DIGEST_ATTEMPTS = 30;

/** One request to a webhook or a monitor, and one SMTP conversation, at most. */
const SEND_TIMEOUT_MS = 5_000;

/** The delay before attempt `n + 1` after `n` failed: NOTIFY_RETRY_SECONDS, doubling, at most an hour; null once NOTIFY_MAX_ATTEMPTS are spent. */
export function retryDelaySeconds(attempts: number, base = env().NOTIFY_RETRY_SECONDS, max = env().NOTIFY_MAX_ATTEMPTS): number | null {
  if (attempts >= max) return null;
  return Math.min(3_600, base * 2 ** Math.max(0, attempts - 1));
}

/**
 * Delivers what is due, one notification at a time, until `deadline` (epoch ms) or none is
 * left (`atLeastOne`: one even past the deadline): each claimed (so drivers at the same moment
 * take different ones), sent, and marked delivered or given its next attempt. With `ids`, only
 * those. Returns how many were delivered. Never throws: a notification that cannot be sent
 * waits for its next attempt.
 */
export async function deliverDue(sql: Queryable, opts: { deadline: number; ids?: number[]; atLeastOne?: boolean; withoutDigests?: boolean }): Promise<number> {
  let delivered = 0;
  let tried = 0;
  try {
    if (!opts.ids && !(await anyDue(sql, opts.withoutDigests))) return 0;
    while (Date.now() < opts.deadline || (opts.atLeastOne && tried === 0)) {
      tried++;
      const n = await claimDue(sql, LEASE_SECONDS, opts.ids, opts.withoutDigests);
      if (!n) break;
      const problem = await send(sql, n);
      if (problem === null) {
        await markDelivered(sql, n);
        delivered++;
      } else {
        // A watchlist's digest is tried for a day (WATCH_DIGEST_ATTEMPTS), the rest NOTIFY_MAX_ATTEMPTS times.
        await markUndelivered(sql, n, problem, retryDelaySeconds(n.attempts, undefined, n.watchlistId ? WATCH_DIGEST_ATTEMPTS : undefined));
      }
    }
  } catch (err) {
    console.warn('[kbo-import] notifications left for a later attempt:', (err as Error).message);
  }
  return delivered;
}

/**
 * Sends the given notifications now, each up to `tries` times with a short pause between (the
 * sync's alerts and a monitor's pings, which mean most when they are on time). What still
 * failed waits in the outbox for its next attempt. Returns the ids delivered.
 */
export async function deliverNow(sql: Queryable, ids: number[], tries: number, pause = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<number[]> {
  const done: number[] = [];
  for (let attempt = 1; attempt <= tries && done.length < ids.length; attempt++) {
    if (attempt > 1) await pause(500 * 2 ** (attempt - 2));
    // Due again at once: what failed this round is tried in the next.
    await sql`update notifications set next_attempt_at = now() where id = any(${ids.filter((i) => !done.includes(i))}::bigint[]) and status = 'pending'`;
    for (const id of ids.filter((i) => !done.includes(i))) if ((await deliverDue(sql, { deadline: Date.now() + SEND_TIMEOUT_MS, ids: [id] })) > 0) done.push(id);
  }
  return done;
}

/** The last error of a notification (after deliverNow), for a caller that reports it. */
export async function lastError(sql: Queryable, id: number): Promise<string | null> {
  const [r] = await sql<{ e: string | null }[]>`select last_error as e from notifications where id = ${id}`;
  return r?.e ?? null;
}

/** One attempt at delivering: null when it went through, else why not, in a few words. */
async function send(sql: Queryable, n: Claimed): Promise<string | null> {
  try {
    if (n.channel === 'webhook') return n.watchlistId ? await postDigest(sql, n) : await postWebhook(n);
    if (n.channel === 'email') return await sendEmail(n);
    return await ping(n);
  } catch (err) {
    return String((err as Error).message ?? err).slice(0, 500);
  }
}

/** JSON with a Slack-compatible `text`; the event key as `Idempotency-Key`, so a receiver can drop a repeat. */
async function postWebhook(n: Claimed): Promise<string | null> {
  const url = webhookUrl();
  if (!url) return 'no webhook is set any more (NOTIFY_WEBHOOK_URL, SYNC_WEBHOOK_URL)';
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': n.eventKey },
    body: JSON.stringify({ event: n.event, text: n.text, ...n.payload }),
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  }).catch(() => undefined);
  if (!res) return 'the webhook could not be reached';
  return res.ok ? null : `the webhook answered ${res.status}`;
}

/**
 * A watchlist's digest to its own webhook, which a reader or a program gave: the address
 * checked as a URL fetch's (no private addresses), the body signed with the watchlist's secret
 * (`X-KBO-Signature: sha256=<hex HMAC-SHA256 of the body>`), `Idempotency-Key: <watchlist>-<job>`.
 */
async function postDigest(sql: Queryable, n: Claimed): Promise<string | null> {
  const [w] = await sql<{ url: string | null; secret: string }[]>`select webhook_url as url, secret from watchlists where id = ${n.watchlistId}`;
  if (!w?.url) return 'the watchlist has no webhook any more';
  const body = JSON.stringify(n.payload);
  const signature = createHmac('sha256', w.secret).update(body).digest('hex');
  const res: { status: number } | string | undefined = await guardedPost(
    w.url,
    { 'content-type': 'application/json', 'idempotency-key': (n.payload as { idempotencyKey?: string }).idempotencyKey ?? n.eventKey, 'x-kbo-signature': `sha256=${signature}` },
    body,
    SEND_TIMEOUT_MS,
  ).catch((err: unknown) => (err instanceof Error && 'code' in err && (err as { code: string }).code === 'VALIDATION' ? err.message : undefined));
  if (typeof res === 'string') return res;
  if (!res) return 'the webhook could not be reached';
  return res.status >= 200 && res.status < 300 ? null : `the webhook answered ${res.status}`;
}

async function sendEmail(n: Claimed): Promise<string | null> {
  const settings = emailSettings() ?? (n.watchlistId && env().SMTP_URL ? { smtpUrl: env().SMTP_URL as string, to: '', from: env().NOTIFY_EMAIL_FROM } : null);
  if (!settings) return 'email is not set any more (SMTP_URL, NOTIFY_EMAIL_TO)';
  // A watchlist's digest goes to the watchlist's own address.
  const mail = n.watchlistId ? { ...settings, to: n.recipient } : settings;
  const url = new URL(mail.smtpUrl);
  url.searchParams.set('connectionTimeout', String(SEND_TIMEOUT_MS));
  url.searchParams.set('greetingTimeout', String(SEND_TIMEOUT_MS));
  url.searchParams.set('socketTimeout', String(SEND_TIMEOUT_MS));
  const transport = nodemailer.createTransport(url.toString());
  try {
    await transport.sendMail({ from: mail.from, to: mail.to, subject: n.subject, text: emailBody(n), headers: { 'X-KBO-Event': n.eventKey } });
    return null;
  } finally {
    transport.close();
  }
}

/** The email: the notification's text, then its details line by line, then its link. */
export function emailBody(n: Pick<Claimed, 'text' | 'payload'>): string {
  const lines = [n.text, ''];
  const details = (n.payload as { details?: string[] }).details ?? [];
  if (details.length) lines.push(...details, '');
  const link = (n.payload as { link?: string }).link;
  if (link) lines.push(link, '');
  lines.push('-- ', 'KBO import');
  return lines.join('\n');
}

/** healthchecks.io's convention: `<url>/start`, `<url>` (success), `<url>/fail`. */
async function ping(n: Claimed): Promise<string | null> {
  const base = healthcheckUrl();
  if (!base) return 'no monitor is set any more (HEALTHCHECK_URL)';
  const suffix = (n.payload as { ping?: string }).ping ?? '';
  const url = suffix ? `${base.replace(/\/+$/, '')}/${suffix}` : base;
  const res = await fetch(url, { method: 'POST', body: n.text, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) }).catch(() => undefined);
  if (!res) return 'the monitor could not be reached';
  return res.ok ? null : `the monitor answered ${res.status}`;
}
