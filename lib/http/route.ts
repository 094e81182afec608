import { checkBodySize, checkOrigin, authenticate, type Principal } from './guard';
import { refuseNulInUrl } from './nul';
import { handle } from './respond';

export const JSON_BODY_LIMIT = 64 * 1024;

export interface RouteOptions {
  /** Largest request body (default 64 KiB); a function is read per request (from the environment). */
  maxBodyBytes?: number | (() => number);
  /** No sign-in needed (the login route); origin and size checks still apply. */
  public?: boolean;
}

/**
 * Every API handler goes through this: size limit, authentication (session cookie or bearer
 * token), the cross-site check for state-changing methods, no NUL in the address, then the handler; any error
 * becomes the one error shape (lib/http/respond.ts).
 */
export function route<C>(opts: RouteOptions, fn: (request: Request, ctx: C, principal: Principal | null) => Promise<Response>) {
  return (request: Request, ctx: C) =>
    handle(async () => {
      const max = typeof opts.maxBodyBytes === 'function' ? opts.maxBodyBytes() : opts.maxBodyBytes;
      checkBodySize(request, max ?? JSON_BODY_LIMIT, max === undefined);
      const principal = opts.public ? null : await authenticate(request);
      checkOrigin(request, principal);
      refuseNulInUrl(request);
      return fn(request, ctx, principal);
    });
}
