import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { readCookie, sameSecret, sessionCookie, signSession, verifySession } from './session';

const secret = 'a-session-secret-of-at-least-32-characters';
const now = Date.UTC(2026, 0, 1);
const exp = now / 1000 + 3600;

describe('session cookies', () => {
  it('round-trips a session signed with the secret', () => {
    expect(verifySession(secret, signSession(secret, { user: 'alice', exp, sid: 's1' }), now)).toEqual({ user: 'alice', exp, sid: 's1' });
  });
  it('refuses a forged, altered, foreign, expired or malformed value', () => {
    const good = signSession(secret, { user: 'alice', exp, sid: 's1' });
    const [payload, sig] = good.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ user: 'mallory', exp, sid: 's1' })).toString('base64url');
    expect(verifySession(secret, `${forged}.${sig}`, now)).toBeNull();
    expect(verifySession(secret, `${payload}.${sig.slice(0, -2)}xx`, now)).toBeNull();
    expect(verifySession('another-secret-of-at-least-32-characters!', good, now)).toBeNull();
    expect(verifySession(secret, good, (exp + 1) * 1000)).toBeNull();
    for (const bad of [undefined, '', 'x', 'a.b.c', `${payload}.`]) expect(verifySession(secret, bad, now)).toBeNull();
  });
  it('refuses a session signed before sessions had ids (no row names it)', () => {
    const old = Buffer.from(JSON.stringify({ user: 'alice', exp })).toString('base64url');
    // Signed as sessions are signed, so only the missing id refuses it.
    const sig = createHmac('sha256', `session\0${secret}`).update(old).digest('base64url');
    expect(verifySession(secret, `${old}.${sig}`, now)).toBeNull();
    const withId = Buffer.from(JSON.stringify({ user: 'alice', exp, sid: 's1' })).toString('base64url');
    const sigWithId = createHmac('sha256', `session\0${secret}`).update(withId).digest('base64url');
    expect(verifySession(secret, `${withId}.${sigWithId}`, now)).toEqual({ user: 'alice', exp, sid: 's1' });
  });
  it('reads a cookie among others and writes a strict httpOnly one', () => {
    expect(readCookie('a=1; kbo_session=v%2Fx; b=2', 'kbo_session')).toBe('v/x');
    expect(readCookie('a=1', 'kbo_session')).toBeUndefined();
    // A malformed escape is no session, not a server error.
    expect(readCookie('kbo_session=%', 'kbo_session')).toBeUndefined();
    expect(readCookie('kbo_session=%zz; a=1', 'kbo_session')).toBeUndefined();
    expect(sessionCookie('v', { maxAgeSeconds: 60, secure: true })).toBe('kbo_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure');
    expect(sessionCookie('', { maxAgeSeconds: 0, secure: false })).toBe('kbo_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });
  it('compares secrets of any length', () => {
    expect(sameSecret('correct horse', 'correct horse')).toBe(true);
    expect(sameSecret('correct horse', 'correct hors')).toBe(false);
  });
});
