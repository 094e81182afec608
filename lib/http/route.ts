import { checkBodySize, checkOrigin, checkRole, authenticate, type Principal } from './guard';
import type { Role } from '../auth/config';
import { refuseNulInUrl } from './nul';
import { handle } from './respond';

export const JSON_BODY_LIMIT = 64 * 1024;

export interface RouteOptions {
  /** Largest request body (default 64 KiB); a function is read per request (from the environment). */
  maxBodyBytes?: number | (() => number);
  /** No sign-in needed (the login route); origin and size checks still apply. */
  public?: boolean;
  /** Who may call it: `admin` (the default: imports, controls, the sync, keys) or `reader` too (reading and watching). */
  allow?: Role;
}

/**
 * Every API handler goes through this: size limit, authentication (session cookie, the API
 * token or an API key), the cross-site check for state-changing methods, the caller's role
 * (admins only unless the route allows readers), no NUL in the address, then the handler; any error
 * becomes the one error shape (lib/http/respond.ts).
 */
export function route<C>(opts: RouteOptions, fn: (request: Request, ctx: C, principal: Principal | null) => Promise<Response>) {
  return (request: Request, ctx: C) =>
    handle(async () => {
      const max = typeof opts.maxBodyBytes === 'function' ? opts.maxBodyBytes() : opts.maxBodyBytes;
      checkBodySize(request, max ?? JSON_BODY_LIMIT, max === undefined);
      const principal = opts.public ? null : await authenticate(request);
      checkOrigin(request, principal);
      checkRole(principal, opts.allow ?? 'admin');
      refuseNulInUrl(request);
      return fn(request, ctx, principal);
    });
}
