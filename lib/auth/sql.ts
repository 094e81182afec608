import type { Queryable, Tx } from '../db/client';

/** Every statement on auth_sessions, auth_devices and login_failures. */

/** A new session row, alive until `hours` from now. */
export async function insertSession(sql: Queryable, id: string, user: string, hours: number): Promise<void> {
  await sql`insert into auth_sessions (id, user_name, expires_at) values (${id}, ${user}, now() + make_interval(hours => ${hours}))`;
}

/** The session is alive: not revoked, not expired, and its user's. */
export async function sessionAlive(sql: Queryable, id: string, user: string): Promise<boolean> {
  const rows = await sql`select 1 from auth_sessions where id = ${id} and user_name = ${user} and revoked_at is null and expires_at > now()`;
  return rows.length === 1;
}

export async function revokeSession(sql: Queryable, id: string): Promise<void> {
  await sql`update auth_sessions set revoked_at = now() where id = ${id} and revoked_at is null`;
}

/** Revokes every live session of `user`; how many. */
export async function revokeUserSessions(sql: Queryable, user: string): Promise<number> {
  const rows = await sql`update auth_sessions set revoked_at = now() where user_name = ${user} and revoked_at is null and expires_at > now() returning 1`;
  return rows.length;
}

/** Sign-in attempts wait for each other per client address and per user: the counts cannot be outrun. */
export async function lockAttempts(tx: Tx, address: string | null, user: string): Promise<void> {
  if (address !== null) await tx`select pg_advisory_xact_lock(hashtext('kbo-login-address'), hashtext(${address}))`;
  await tx`select pg_advisory_xact_lock(hashtext('kbo-login-user'), hashtext(${user}))`;
}

/** Forgets failures older than the window. */
export async function purgeFailures(tx: Tx, windowMinutes: number): Promise<void> {
  await tx`delete from login_failures where at < now() - make_interval(mins => ${windowMinutes})`;
}

/** Forgets sessions a day past their end and devices unused for `deviceDays`. */
export async function purgeSessions(tx: Tx, deviceDays: number): Promise<void> {
  await tx`delete from auth_sessions where expires_at < now() - interval '1 day'`;
  await tx`delete from auth_devices where last_used_at < now() - make_interval(days => ${deviceDays})`;
}

/** The device id, when it names a browser that signed in as `user`. */
export async function knownDevice(sql: Queryable, id: string, user: string): Promise<boolean> {
  return (await sql`select 1 from auth_devices where id = ${id} and user_name = ${user}`).length === 1;
}

/** Records (or refreshes) a browser that signed in as `user`. */
export async function rememberDevice(tx: Tx, id: string, user: string): Promise<void> {
  await tx`insert into auth_devices (id, user_name) values (${id}, ${user}) on conflict (id) do update set last_used_at = now()`;
}

/** Waits at most `ms` for a lock in this transaction: a flood of attempts queues no longer than that. */
export async function lockTimeout(tx: Tx, ms: number): Promise<void> {
  await tx`select set_config('lock_timeout', ${`${ms}ms`}, true)`;
}

export type FailureKey = { device: string } | { address: string } | { userFromUnknown: string };

/** Failures within the window for one key, and when the oldest of them falls out of it (ms). */
export async function recentFailures(tx: Queryable, key: FailureKey, windowMinutes: number): Promise<{ n: number; freesAt: number | null }> {
  const which =
    'device' in key ? tx`device = ${key.device}` : 'address' in key ? tx`client_key = ${key.address} and device is null` : tx`user_name = ${key.userFromUnknown} and device is null`;
  const [r] = await tx<{ n: number; oldest: Date | null }[]>`
    select count(*)::int as n, min(at) as oldest from login_failures
    where ${which} and at > now() - make_interval(mins => ${windowMinutes})`;
  return { n: r?.n ?? 0, freesAt: r?.oldest ? r.oldest.getTime() + windowMinutes * 60_000 : null };
}

export async function recordFailure(tx: Tx, f: { address: string | null; user: string; device: string | null }): Promise<void> {
  await tx`insert into login_failures (client_key, user_name, device) values (${f.address}, ${f.user}, ${f.device})`;
}

/** A right password clears what its client (its device, or else its address) had failed. */
export async function clearFailures(tx: Tx, f: { address: string | null; device: string | null }): Promise<void> {
  if (f.device !== null) await tx`delete from login_failures where device = ${f.device}`;
  else if (f.address !== null) await tx`delete from login_failures where client_key = ${f.address} and device is null`;
}
