import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_MAX_FAILURES, login, USER_MAX_FAILURES, type LoginClient } from '../../lib/auth/login';
import { verifySession } from '../../lib/auth/session';
import { liveSession, signOut } from '../../lib/auth/sessions';
import { ImportFailure } from '../../lib/errors';
import { freshDb, type TestDb } from '../helpers/db';

process.env.ADMIN_PASSWORD = 'the-right-password';
process.env.ADMIN_USERS = 'bob:bobs-right-password';
process.env.SESSION_SECRET = 'a-session-secret-for-the-auth-tests-0123456789';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

const RIGHT = 'the-right-password';
const secret = process.env.SESSION_SECRET as string;

/** How a sign-in ended: `ok`, or the refusal's code. */
async function attempt(password: string, client: LoginClient, user?: string): Promise<string> {
  try {
    await login(t.db, { user, password }, client);
    return 'ok';
  } catch (err) {
    if (err instanceof ImportFailure) return err.code;
    throw err;
  }
}

async function failures(n: number, client: (i: number) => LoginClient, user?: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await attempt(`wrong-${i}`, client(i), user));
  return out;
}

describe('sessions', () => {
  it('end at sign-out: the same cookie is refused at once; everywhere ends every session of the user, not another user\'s', async () => {
    const a = await login(t.db, { password: RIGHT }, { address: null });
    const b = await login(t.db, { password: RIGHT }, { address: null });
    const bob = await login(t.db, { user: 'bob', password: 'bobs-right-password' }, { address: null });
    for (const s of [a, b, bob]) expect(await liveSession(t.db, s.cookie)).not.toBeNull();

    await signOut(t.db, verifySession(secret, a.cookie)!, false);
    expect(await liveSession(t.db, a.cookie)).toBeNull();
    expect(await liveSession(t.db, b.cookie)).not.toBeNull();

    const c = await login(t.db, { password: RIGHT }, { address: null });
    expect(await signOut(t.db, verifySession(secret, c.cookie)!, true)).toBe(2);
    expect(await liveSession(t.db, b.cookie)).toBeNull();
    expect(await liveSession(t.db, c.cookie)).toBeNull();
    expect(await liveSession(t.db, bob.cookie)).not.toBeNull();
  });

  it('a session whose row is gone or expired is no session, however well signed', async () => {
    const a = await login(t.db, { password: RIGHT }, { address: null });
    await t.db`update auth_sessions set expires_at = now() - interval '1 second'`;
    expect(await liveSession(t.db, a.cookie)).toBeNull();
    const b = await login(t.db, { password: RIGHT }, { address: null });
    await t.db`delete from auth_sessions`;
    expect(await liveSession(t.db, b.cookie)).toBeNull();
  });
});

describe('sign-in limits', () => {
  it('rotating addresses does not help a guesser: the user\'s limit for unknown clients stops them', async () => {
    const seen = await failures(60, (i) => ({ address: `198.51.100.${i}` }));
    expect(seen.filter((s) => s === 'UNAUTHORIZED')).toHaveLength(USER_MAX_FAILURES);
    expect(seen.slice(USER_MAX_FAILURES)).toEqual(Array(60 - USER_MAX_FAILURES).fill('RATE_LIMITED'));
  });

  it('without a trusted proxy, ten anonymous failures lock nobody out; past the user\'s limit, a browser that signed in before still can', async () => {
    const mine = await login(t.db, { password: RIGHT }, { address: null });
    expect(await failures(CLIENT_MAX_FAILURES, () => ({ address: null }))).toEqual(Array(CLIENT_MAX_FAILURES).fill('UNAUTHORIZED'));
    expect(await attempt(RIGHT, { address: null })).toBe('ok');
    await failures(USER_MAX_FAILURES, () => ({ address: null }));
    expect(await attempt(RIGHT, { address: null })).toBe('RATE_LIMITED');
    expect(await attempt(RIGHT, { address: null, device: mine.deviceCookie })).toBe('ok');
    // Another user is not affected.
    expect(await attempt('bobs-right-password', { address: null }, 'bob')).toBe('ok');
  });

  it('one address past its limit is refused, the right password too; another address with it goes through', async () => {
    expect(await failures(CLIENT_MAX_FAILURES, () => ({ address: '203.0.113.7' }))).toEqual(Array(CLIENT_MAX_FAILURES).fill('UNAUTHORIZED'));
    expect(await attempt(RIGHT, { address: '203.0.113.7' })).toBe('RATE_LIMITED');
    expect(await attempt(RIGHT, { address: '203.0.113.8' })).toBe('ok');
  });

  it('a browser that signed in before is limited on its own failures only', async () => {
    const mine = await login(t.db, { password: RIGHT }, { address: '203.0.113.9' });
    const device = { address: '203.0.113.9', device: mine.deviceCookie };
    expect(await failures(CLIENT_MAX_FAILURES, () => device)).toEqual(Array(CLIENT_MAX_FAILURES).fill('UNAUTHORIZED'));
    expect(await attempt(RIGHT, device)).toBe('RATE_LIMITED');
    // Its address was not charged for what the device failed; a device cookie of another user counts for nothing.
    expect(await attempt(RIGHT, { address: '203.0.113.9' })).toBe('ok');
    const bobs = await login(t.db, { user: 'bob', password: 'bobs-right-password' }, { address: null });
    expect(await attempt(RIGHT, { address: null, device: bobs.deviceCookie })).toBe('ok');
  });

  it('forty guesses at once from one address: exactly the limit are tried, the rest refused', async () => {
    const seen = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt(`wrong-${i}`, { address: '192.0.2.1' })));
    expect(seen.filter((s) => s === 'UNAUTHORIZED')).toHaveLength(CLIENT_MAX_FAILURES);
    expect(seen.filter((s) => s === 'RATE_LIMITED')).toHaveLength(40 - CLIENT_MAX_FAILURES);
  });

  it('forgets failures past the window at the next attempt, and sessions a day past their end at the next sign-in', async () => {
    await failures(3, () => ({ address: '192.0.2.2' }));
    const old = await login(t.db, { password: RIGHT }, { address: null });
    const sid = verifySession(secret, old.cookie)!.sid;
    await t.db`update login_failures set at = now() - interval '16 minutes'`;
    await t.db`update auth_sessions set expires_at = now() - interval '25 hours' where id = ${sid}`;
    await attempt('wrong', { address: '192.0.2.3' });
    expect((await t.db`select client_key from login_failures`).map((r) => r.client_key)).toEqual(['192.0.2.3']);
    await attempt(RIGHT, { address: '192.0.2.4' });
    expect(await t.db`select 1 from auth_sessions where id = ${sid}`).toHaveLength(0);
  });

  it('a device id the server never gave, or gave to another user, makes an unknown client', async () => {
    await failures(USER_MAX_FAILURES, () => ({ address: null }));
    expect(await attempt(RIGHT, { address: null, device: 'A'.repeat(22) })).toBe('RATE_LIMITED');
    const bobs = await login(t.db, { user: 'bob', password: 'bobs-right-password' }, { address: null });
    expect(await attempt(RIGHT, { address: null, device: bobs.deviceCookie })).toBe('RATE_LIMITED');
  });

  it('under a flood, an attempt waits a bounded time for the ones before it, and a blocked client takes no lock at all', async () => {
    await failures(CLIENT_MAX_FAILURES, () => ({ address: '192.0.2.9' }));
    const held = t.db.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('kbo-login-user'), hashtext('admin'))`;
      await new Promise((r) => setTimeout(r, 5_000));
    });
    await new Promise((r) => setTimeout(r, 200));
    let started = Date.now();
    await expect(login(t.db, { password: RIGHT }, { address: '192.0.2.9' })).rejects.toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/from here/) });
    expect(Date.now() - started).toBeLessThan(1_000);
    started = Date.now();
    await expect(login(t.db, { password: RIGHT }, { address: '192.0.2.10' })).rejects.toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/at once/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
    await held;
    expect(await attempt(RIGHT, { address: '192.0.2.10' })).toBe('ok');
  });
});
