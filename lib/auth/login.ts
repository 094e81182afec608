import { z } from 'zod';
import type { Queryable, Sql } from '../db/client';
import { ImportFailure } from '../errors';
import { authConfig } from './config';
import { DEVICE_DAYS, newId, sameSecret, SESSION_HOURS, signSession } from './session';
import {
  clearFailures,
  insertSession,
  knownDevice,
  lockAttempts,
  lockTimeout,
  purgeFailures,
  purgeSessions,
  recentFailures,
  recordFailure,
  rememberDevice,
  type FailureKey,
} from './sql';

export const LOGIN_WINDOW_MINUTES = 15;
/** Failed sign-ins within the window from one client: one address (behind a trusted proxy), or one browser that signed in before. */
export const CLIENT_MAX_FAILURES = 10;
/** Failed sign-ins within the window for one user from clients that never signed in as that user. */
export const USER_MAX_FAILURES = 50;
/** How long an attempt waits for the ones before it (per address and user) before it is told to try again. */
const ATTEMPT_WAIT_MS = 3_000;

export const loginInput = z.object({
  user: z.string().trim().max(100).optional(),
  password: z.string().max(1_000),
});

/** Who is signing in, as far as the server can tell. */
export interface LoginClient {
  /** The address the trusted proxy saw (lib/http/guard.ts clientAddress); null without TRUST_PROXY. */
  address: string | null;
  /** The browser's device cookie, if any. */
  device?: string;
}

export interface SignedIn {
  user: string;
  /** The session cookie's value, and the device cookie's (the browser's device id). */
  cookie: string;
  deviceCookie: string;
}

type Attempt = { address: string | null; user: string; device: string | null };

/**
 * Checks a password and opens a session. The limits, counted in the database (every server
 * instance shares them):
 * - a browser that has signed in as this user before (its device cookie names a row of
 *   auth_devices) is limited on its own failures alone: whatever others try, and whatever the
 *   passwords become, the user's own browsers are never locked out;
 * - any other client is limited per address (behind a trusted proxy), and all of them
 *   together per user (USER_MAX_FAILURES), so rotating addresses does not help a guesser.
 * A blocked client is refused before it takes any lock; the others are serialised per address
 * and per user (so concurrent guesses cannot outrun the count), each waiting at most
 * ATTEMPT_WAIT_MS. A right password from a client that is not blocked goes through.
 */
export async function login(sql: Sql, raw: z.input<typeof loginInput>, client: LoginClient, now = Date.now()): Promise<SignedIn> {
  const { user = 'admin', password } = loginInput.parse(raw);
  const config = authConfig();
  if (config.users.size === 0) {
    throw new ImportFailure('PRECONDITION_FAILED', 'No admin password is configured on the server: set ADMIN_PASSWORD (or ADMIN_USERS) and restart it.');
  }
  const device = client.device && /^[A-Za-z0-9_-]{16,64}$/.test(client.device) && (await knownDevice(sql, client.device, user)) ? client.device : null;
  const attempt: Attempt = { address: client.address, user, device };
  refuseIfBlocked(await firstBlock(sql, attempt), now);
  let outcome: { blocked: { why: string; freesAt: number | null } } | { wrong: true } | { sid: string; device: string };
  try {
    outcome = await sql.begin(async (tx) => {
      await lockTimeout(tx, ATTEMPT_WAIT_MS);
      await lockAttempts(tx, client.address, user);
      await purgeFailures(tx, LOGIN_WINDOW_MINUTES);
      const blocked = await firstBlock(tx, attempt);
      if (blocked) return { blocked };
      const expected = config.users.get(user);
      // Compare against something even for an unknown user, so timing does not tell users apart.
      if (!(sameSecret(password, expected ?? '\0no such user') && expected !== undefined)) {
        await recordFailure(tx, attempt);
        return { wrong: true as const };
      }
      await clearFailures(tx, attempt);
      await purgeSessions(tx, DEVICE_DAYS);
      const sid = newId();
      await insertSession(tx, sid, user, SESSION_HOURS);
      const id = device ?? newId();
      await rememberDevice(tx, id, user);
      return { sid, device: id };
    });
  } catch (err) {
    // 55P03: the attempts before this one held the lock past ATTEMPT_WAIT_MS (a flood).
    if ((err as { code?: string }).code === '55P03') {
      throw new ImportFailure('RATE_LIMITED', 'Too many sign-ins at once; try again in a minute.', { retryAfterSeconds: 60 });
    }
    throw err;
  }
  if ('blocked' in outcome) refuseIfBlocked(outcome.blocked, now);
  if ('wrong' in outcome) throw new ImportFailure('UNAUTHORIZED', 'Wrong user name or password.');
  const { sid, device: deviceId } = outcome as { sid: string; device: string };
  return { user, cookie: signSession(config.sessionSecret, { user, exp: Math.floor(now / 1000) + SESSION_HOURS * 3600, sid }), deviceCookie: deviceId };
}

function refuseIfBlocked(blocked: { why: string; freesAt: number | null } | null, now: number): void {
  if (!blocked) return;
  const minutes = Math.max(1, Math.ceil(((blocked.freesAt ?? now) - now) / 60_000));
  throw new ImportFailure('RATE_LIMITED', `${blocked.why}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, { retryAfterSeconds: minutes * 60 });
}

/** The limit this attempt is past, if any, with what to say and when it frees. */
async function firstBlock(sql: Queryable, a: Attempt): Promise<{ why: string; freesAt: number | null } | null> {
  const checks: [FailureKey, number, string][] =
    a.device !== null
      ? [[{ device: a.device }, CLIENT_MAX_FAILURES, 'Too many failed sign-ins from this browser']]
      : [
          ...(a.address !== null ? [[{ address: a.address }, CLIENT_MAX_FAILURES, 'Too many failed sign-ins from here'] as [FailureKey, number, string]] : []),
          [
            { userFromUnknown: a.user },
            USER_MAX_FAILURES,
            `Too many failed sign-ins as ${a.user} from browsers that have not signed in before (a browser that has can still sign in)`,
          ],
        ];
  for (const [key, max, why] of checks) {
    const r = await recentFailures(sql, key, LOGIN_WINDOW_MINUTES);
    if (r.n >= max) return { why, freesAt: r.freesAt };
  }
  return null;
}
