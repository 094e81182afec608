import { sessionCookie } from '@/lib/auth/session';
import { ownOrigin } from '@/lib/http/guard';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Sign out: clears the session cookie. */
export const POST = route({}, async (request) =>
  json({ signedOut: true }, 200, { 'set-cookie': sessionCookie('', { maxAgeSeconds: 0, secure: ownOrigin(request).startsWith('https:') }) }),
);
