import { loginInput, login } from '@/lib/auth/login';
import { DEVICE_COOKIE, DEVICE_DAYS, readCookie, SESSION_HOURS, sessionCookie } from '@/lib/auth/session';
import { getDb } from '@/lib/db/client';
import { clientAddress, ownOrigin } from '@/lib/http/guard';
import { jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Sign in: `{ user?, password }` -> a session cookie and a device cookie (lib/auth/login.ts says the limits). */
export const POST = route({ public: true }, async (request) => {
  const input = await jsonBody(request, loginInput);
  const device = readCookie(request.headers.get('cookie'), DEVICE_COOKIE);
  const signedIn = await login(await getDb(), input, { address: clientAddress(request), device });
  const secure = ownOrigin(request).startsWith('https:');
  const headers = new Headers();
  headers.append('set-cookie', sessionCookie(signedIn.cookie, { maxAgeSeconds: SESSION_HOURS * 3600, secure }));
  headers.append('set-cookie', sessionCookie(signedIn.deviceCookie, { maxAgeSeconds: DEVICE_DAYS * 86_400, secure, name: DEVICE_COOKIE }));
  return json({ user: signedIn.user }, 200, headers);
});
