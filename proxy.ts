import { NextResponse, type NextRequest } from 'next/server';
import { newNonce, pageCsp } from './lib/http/csp';

/**
 * Every page gets a Content-Security-Policy with a nonce of its own: Next.js reads the policy
 * from the request and puts the nonce on the scripts it renders, so no other inline script
 * runs. API answers get theirs from next.config.ts.
 */
export function proxy(request: NextRequest) {
  const csp = pageCsp(newNonce(), process.env.NODE_ENV !== 'production');
  const headers = new Headers(request.headers);
  headers.set('content-security-policy', csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', csp);
  return response;
}

export const config = {
  // Pages only: not the API, Next's static files, or the icon.
  matcher: [{ source: '/((?!api/|api$|_next/static/|_next/image|icon.svg$|favicon.ico$).*)' }],
};
