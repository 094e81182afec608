import { z } from 'zod';
import type { Sql } from '../db/client';
import { ImportFailure } from '../errors';
import { authConfig } from './config';
import { DEVICE_DAYS, newId, sameSecret, SESSION_HOURS, signDevice, signSession, verifyDevice } from './session';
import { clearFailures, insertSession, lockAttempts, purgeAuth, recentFailures, recordFailure, type FailureKey } from './sql';

export const LOGIN_WINDOW_MINUTES = 15;
/** Failed sign-ins within the window from one client: one address (behind a trusted proxy), or one browser that signed in before. */
export const CLIENT_MAX_FAILURES = 10;
/** Failed sign-ins within the window for one user from clients that never signed in as that user. */
export const USER_MAX_FAILURES = 50;

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
  /** The session cookie's value, and the device cookie's. */
  cookie: string;
  deviceCookie: string;
}

/**
 * Checks a password and opens a session. The limits, counted in the database (every server
 * instance shares them) and serialised per address and per user (concurrent guesses cannot
 * outrun them):
 * - a browser that has signed in as this user before (its device cookie) is limited on its
 *   own failures alone: whatever others try, the user's own browsers are never locked out;
 * - any other client is limited per address (behind a trusted proxy), and all of them
 *   together per user (USER_MAX_FAILURES), so rotating addresses does not help a guesser.
 * A right password from a client that is not blocked goes through.
 */
export async function login(sql: Sql, raw: z.input<typeof loginInput>, client: LoginClient, now = Date.now()): Promise<SignedIn> {
  const { user = 'admin', password } = loginInput.parse(raw);
  const config = authConfig();
  if (config.users.size === 0) {
    throw new ImportFailure('PRECONDITION_FAILED', 'No admin password is configured on the server: set ADMIN_PASSWORD (or ADMIN_USERS) and restart it.');
  }
  const known = verifyDevice(config.sessionSecret, client.device, now);
  const device = known && known.user === user ? known.dev : null;
  const attempt = { address: client.address, user, device };
  const outcome = await sql.begin(async (tx) => {
    await lockAttempts(tx, client.address, user);
    await purgeAuth(tx, LOGIN_WINDOW_MINUTES);
    const blocked = await firstBlock(tx, attempt);
    if (blocked) return blocked;
    const expected = config.users.get(user);
    // Compare against something even for an unknown user, so timing does not tell users apart.
    if (!(sameSecret(password, expected ?? '\0no such user') && expected !== undefined)) {
      await recordFailure(tx, attempt);
      return { wrong: true as const };
    }
    await clearFailures(tx, attempt);
    const sid = newId();
    await insertSession(tx, sid, user, SESSION_HOURS);
    return { sid };
  });
  if ('freesAt' in outcome) {
    const minutes = Math.max(1, Math.ceil(((outcome.freesAt ?? now) - now) / 60_000));
    throw new ImportFailure('RATE_LIMITED', `${outcome.why}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, { retryAfterSeconds: minutes * 60 });
  }
  if ('wrong' in outcome) throw new ImportFailure('UNAUTHORIZED', 'Wrong user name or password.');
  const exp = Math.floor(now / 1000);
  return {
    user,
    cookie: signSession(config.sessionSecret, { user, exp: exp + SESSION_HOURS * 3600, sid: outcome.sid }),
    deviceCookie: signDevice(config.sessionSecret, { user, exp: exp + DEVICE_DAYS * 86_400, dev: device ?? newId() }),
  };
}

/** The limit this attempt is past, if any, with what to say and when it frees. */
async function firstBlock(
  tx: Parameters<typeof recentFailures>[0],
  a: { address: string | null; user: string; device: string | null },
): Promise<{ why: string; freesAt: number | null } | null> {
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
    const r = await recentFailures(tx, key, LOGIN_WINDOW_MINUTES);
    if (r.n >= max) return { why, freesAt: r.freesAt };
  }
  return null;
}
