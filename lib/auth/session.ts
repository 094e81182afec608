import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The session cookie (`kbo_session`, 12 hours): `<payload>.<HMAC-SHA256>`, the payload JSON in
 * base64url holding its user, expiry and id. Only a holder of the secret can mint one; the id
 * names a row of auth_sessions, so a session ends when it is revoked (sign-out, sign-out
 * everywhere). The device cookie (`kbo_device`, a year) is a random id that names a row of
 * auth_devices: a browser that signed in as that user, whose sign-in limit is its own.
 */

export const SESSION_COOKIE = 'kbo_session';
export const DEVICE_COOKIE = 'kbo_device';
export const SESSION_HOURS = 12;
export const DEVICE_DAYS = 365;

export interface Session {
  user: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** The auth_sessions row that keeps it alive. */
  sid: string;
}

type Kind = 'session';

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');

function mac(secret: string, kind: Kind, payload: string): Buffer {
  return createHmac('sha256', `${kind}\0${secret}`).update(payload).digest();
}

function sign(secret: string, kind: Kind, value: object): string {
  const payload = b64(JSON.stringify(value));
  return `${payload}.${b64(mac(secret, kind, payload))}`;
}

/** The payload of a value signed as `kind` with `secret`, or null when forged, malformed or expired. */
function verify(secret: string, kind: Kind, value: string | undefined | null, now: number): Record<string, unknown> | null {
  if (!value) return null;
  const [payload, sig, extra] = value.split('.');
  if (!payload || !sig || extra !== undefined) return null;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(secret, kind, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof p.user !== 'string' || typeof p.exp !== 'number' || p.exp * 1000 <= now) return null;
    return p;
  } catch {
    return null;
  }
}

export const signSession = (secret: string, session: Session) => sign(secret, 'session', session);

/** The session a cookie value carries, or null when it is missing, forged, malformed or expired (revocation is checked in the database). */
export function verifySession(secret: string, value: string | undefined | null, now = Date.now()): Session | null {
  const p = verify(secret, 'session', value, now);
  return p && typeof p.sid === 'string' ? { user: p.user as string, exp: p.exp as number, sid: p.sid } : null;
}

/** A new random id (session or device): 128 bits, base64url. */
export const newId = () => randomBytes(16).toString('base64url');

/** Equal strings, compared in constant time (digests first, so lengths leak nothing either). */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      // A malformed escape (`%`, `%zz`) is no session at all, not a server error.
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A Set-Cookie value: httpOnly, SameSite=Strict, Secure over https; maxAge 0 clears it. */
export function sessionCookie(value: string, opts: { maxAgeSeconds: number; secure: boolean; name?: string }): string {
  return [
    `${opts.name ?? SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${opts.maxAgeSeconds}`,
    ...(opts.secure ? ['Secure'] : []),
  ].join('; ');
}
