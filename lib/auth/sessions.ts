import type { Sql } from '../db/client';
import { isDatabaseUnavailable } from '../db/unavailable';
import { authConfig } from './config';
import { verifySession, type Session } from './session';
import { revokeSession, revokeUserSessions, sessionAlive } from './sql';

/**
 * The session a cookie value names, alive: signed, unexpired, for a configured user, and its
 * auth_sessions row neither revoked nor expired. Null otherwise.
 */
export async function liveSession(sql: Sql, cookie: string | undefined | null): Promise<Session | null> {
  const config = authConfig();
  const session = verifySession(config.sessionSecret, cookie);
  if (!session || !config.users.has(session.user)) return null;
  return (await sessionAlive(sql, session.sid, session.user)) ? session : null;
}

/**
 * As liveSession, for a page: while the database is away its row cannot be read, so a signed,
 * unexpired cookie is taken at its word. Such a page can show nothing but that the database
 * is away, and every API call still checks the row (503 meanwhile).
 */
export async function pageSession(sql: () => Promise<Sql>, cookie: string | undefined | null): Promise<Session | null> {
  try {
    return await liveSession(await sql(), cookie);
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    const config = authConfig();
    const session = verifySession(config.sessionSecret, cookie);
    return session && config.users.has(session.user) ? session : null;
  }
}

/** Ends a session, or (`everywhere`) every session of its user; how many ended. */
export async function signOut(sql: Sql, session: Session, everywhere: boolean): Promise<number> {
  if (everywhere) return revokeUserSessions(sql, session.user);
  await revokeSession(sql, session.sid);
  return 1;
}
