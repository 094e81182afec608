import { z } from 'zod';
import type { Sql } from '../db/client';
import { ImportFailure } from '../errors';
import { authConfig } from './config';
import { sameSecret, SESSION_HOURS, signSession } from './session';

export const LOGIN_WINDOW_MINUTES = 15;
export const LOGIN_MAX_FAILURES = 10;

export const loginInput = z.object({
  user: z.string().trim().max(100).optional(),
  password: z.string().max(1_000),
});

/**
 * Checks a password and mints a session cookie value. Failures are counted per client key
 * in the database (so every server instance shares them); past LOGIN_MAX_FAILURES within
 * LOGIN_WINDOW_MINUTES the key is refused without checking, until the window moves on.
 */
export async function login(sql: Sql, raw: z.input<typeof loginInput>, clientKey: string, now = Date.now()): Promise<{ user: string; cookie: string }> {
  const { user = 'admin', password } = loginInput.parse(raw);
  const config = authConfig();
  if (config.users.size === 0) {
    throw new ImportFailure('PRECONDITION_FAILED', 'No admin password is configured on the server: set ADMIN_PASSWORD (or ADMIN_USERS) and restart it.');
  }
  const [recent] = await sql<{ n: number; oldest: string | null }[]>`
    select count(*)::int as n, min(at)::text as oldest from login_failures
    where client_key = ${clientKey} and at > now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})`;
  if ((recent?.n ?? 0) >= LOGIN_MAX_FAILURES) {
    const waitMs = new Date(recent?.oldest as string).getTime() + LOGIN_WINDOW_MINUTES * 60_000 - now;
    const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
    throw new ImportFailure('RATE_LIMITED', `Too many failed sign-ins from here; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, {
      retryAfterSeconds: minutes * 60,
    });
  }
  const expected = config.users.get(user);
  // Compare against something even for an unknown user, so timing does not tell users apart.
  const ok = sameSecret(password, expected ?? '\0no such user') && expected !== undefined;
  if (!ok) {
    await sql`insert into login_failures (client_key) values (${clientKey})`;
    throw new ImportFailure('UNAUTHORIZED', 'Wrong user name or password.');
  }
  await sql`delete from login_failures where client_key = ${clientKey}`;
  const exp = Math.floor(now / 1000) + SESSION_HOURS * 3600;
  return { user, cookie: signSession(config.sessionSecret, { user, exp }) };
}
