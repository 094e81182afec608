import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Admin sessions without server state: the cookie holds `<payload>.<HMAC-SHA256>` where the
 * payload is the user and an expiry. Only a holder of the secret can mint one; changing the
 * secret (or, by default, the passwords it is derived from) signs everyone out.
 */

export const SESSION_COOKIE = 'kbo_session';
export const SESSION_HOURS = 12;

export interface Session {
  user: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

export function signSession(secret: string, session: Session): string {
  const payload = b64(JSON.stringify(session));
  return `${payload}.${b64(mac(secret, payload))}`;
}

/** The session a cookie value carries, or null when it is missing, forged, malformed or expired. */
export function verifySession(secret: string, value: string | undefined | null, now = Date.now()): Session | null {
  if (!value) return null;
  const [payload, sig, extra] = value.split('.');
  if (!payload || !sig || extra !== undefined) return null;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const s = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Session>;
    if (typeof s.user !== 'string' || typeof s.exp !== 'number' || s.exp * 1000 <= now) return null;
    return { user: s.user, exp: s.exp };
  } catch {
    return null;
  }
}

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
export function sessionCookie(value: string, opts: { maxAgeSeconds: number; secure: boolean }): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${opts.maxAgeSeconds}`,
    ...(opts.secure ? ['Secure'] : []),
  ].join('; ');
}
