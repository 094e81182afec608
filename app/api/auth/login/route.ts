import { loginInput, login } from '@/lib/auth/login';
import { SESSION_HOURS, sessionCookie } from '@/lib/auth/session';
import { getDb } from '@/lib/db/client';
import { clientKey, ownOrigin } from '@/lib/http/guard';
import { jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Sign in: `{ user?, password }` -> a signed httpOnly session cookie (rate-limited per client). */
export const POST = route({ public: true }, async (request) => {
  const input = await jsonBody(request, loginInput);
  const { user, cookie } = await login(await getDb(), input, clientKey(request));
  const secure = ownOrigin(request).startsWith('https:');
  return json({ user }, 200, { 'set-cookie': sessionCookie(cookie, { maxAgeSeconds: SESSION_HOURS * 3600, secure }) });
});
