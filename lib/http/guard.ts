import { authConfig, type Role } from '../auth/config';
import { keyOf } from '../auth/keys';
import { readCookie, sameSecret, SESSION_COOKIE } from '../auth/session';
import { liveSession } from '../auth/sessions';
import { getDb } from '../db/client';
import { ImportFailure } from '../errors';

/**
 * Who is calling, and may do what: a user by session cookie (and which session), an admin's
 * program by the API token, or a program by an API key of its own (a reader).
 */
export type Principal =
  | { user: string; via: 'session'; sid: string; role: Role }
  | { user: string; via: 'bearer'; role: 'admin' }
  | { user: string; via: 'key'; keyId: number; role: 'reader' };

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The caller, from `Authorization: Bearer` (the API token, or an API key) or a live session cookie; 401 when none is valid. */
export async function authenticate(request: Request): Promise<Principal> {
  const config = authConfig();
  const auth = request.headers.get('authorization');
  if (auth) {
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (token && config.apiToken && sameSecret(token, config.apiToken)) return { user: 'api-token', via: 'bearer', role: 'admin' };
    const key = token ? await keyOf(await getDb(), token) : null;
    if (key) return { user: `key:${key.name}`, via: 'key', keyId: key.id, role: 'reader' };
    throw new ImportFailure('UNAUTHORIZED', 'The bearer token is not valid (an API key that was revoked is refused).');
  }
  const session = await liveSession(await getDb(), readCookie(request.headers.get('cookie'), SESSION_COOKIE));
  if (session) return { user: session.user, via: 'session', sid: session.sid, role: config.roles.get(session.user) ?? 'reader' };
  throw new ImportFailure('UNAUTHORIZED', 'Sign in first (your session is missing, has ended or has expired).');
}

/** A reader (a reader's session, an API key) on a route only admins may use: 403, saying who may. */
export function checkRole(principal: Principal | null, allow: Role): void {
  if (!principal || principal.role === 'admin' || allow === 'reader') return;
  const who = principal.via === 'key' ? `the API key "${principal.user.slice(4)}" may only read and watch` : `${principal.user} is a reader`;
  throw new ImportFailure('FORBIDDEN', `Only an admin may do this: ${who} (search the register, read entities and change lists, keep watchlists).`);
}

/** The origin this server is reached at, as the browser sees it. */
export function ownOrigin(request: Request): string {
  const url = new URL(request.url);
  if (authConfig().trustProxy) {
    const host = request.headers.get('x-forwarded-host')?.split(',')[0]?.trim();
    const proto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim();
    if (host) return `${proto ?? url.protocol.replace(':', '')}://${host}`;
  }
  const host = request.headers.get('host') ?? url.host;
  return `${url.protocol}//${host}`;
}

/**
 * A browser's state-changing request must come from one of our own pages: its Origin (sent
 * with every cross-site and same-site POST) must be ours, or, failing that, Sec-Fetch-Site
 * must say same-origin. Bearer callers are not browsers and carry no ambient credentials.
 */
export function checkOrigin(request: Request, principal: Principal | null): void {
  if (!STATE_CHANGING.has(request.method) || principal?.via === 'bearer' || principal?.via === 'key') return;
  const origin = request.headers.get('origin');
  if (origin ? origin === ownOrigin(request) : request.headers.get('sec-fetch-site') === 'same-origin') return;
  throw new ImportFailure('FORBIDDEN', 'This request came from another site, so it was refused.');
}

/**
 * Refuses a body over `maxBytes` before reading it, by its Content-Length. Without one, a
 * small JSON route (`lengthless`) reads on, since its body is read within the same limit
 * (params.ts jsonBody): a bare `curl -X POST` sends no body and no length. Routes that take
 * large bodies (uploads, parts) need the length up front.
 */
export function checkBodySize(request: Request, maxBytes: number, lengthless = false): void {
  if (!STATE_CHANGING.has(request.method)) return;
  const header = request.headers.get('content-length');
  if (header === null) {
    if (request.body === null || lengthless) return;
    throw new ImportFailure('PAYLOAD_TOO_LARGE', 'Send a Content-Length with the request body.');
  }
  const length = Number(header);
  if (!Number.isFinite(length) || length > maxBytes) {
    throw new ImportFailure('PAYLOAD_TOO_LARGE', `The request body is ${header} bytes; the limit here is ${maxBytes} bytes.`, { maxBytes });
  }
}

/**
 * The client's address for sign-in limits, as the trusted proxies saw it: with TRUST_PROXY=N
 * (N proxies in front), the Nth address from the right of X-Forwarded-For, which the nearest
 * of those proxies wrote (what a client writes itself is to the left of it). Null without a
 * trusted proxy: the address is then unknown, and the limits count per user and per browser.
 */
export function clientAddress(request: Request, hops = authConfig().proxyHops): string | null {
  if (hops === 0) return null;
  const chain = (request.headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return chain[Math.max(0, chain.length - hops)] ?? 'unknown';
}
