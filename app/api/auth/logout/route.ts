import { z } from 'zod';
import { sessionCookie } from '@/lib/auth/session';
import { signOut } from '@/lib/auth/sessions';
import { getDb } from '@/lib/db/client';
import { ownOrigin } from '@/lib/http/guard';
import { jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const input = z.object({ everywhere: z.boolean().optional() });

/** Sign out: ends this session (`{ "everywhere": true }`: every session of this user) and clears its cookie. */
export const POST = route({ allow: 'reader' }, async (request, _ctx, principal) => {
  const { everywhere = false } = await jsonBody(request, input);
  const ended = principal?.via === 'session' ? await signOut(await getDb(), { user: principal.user, sid: principal.sid, exp: 0 }, everywhere) : 0;
  return json({ signedOut: true, sessionsEnded: ended }, 200, { 'set-cookie': sessionCookie('', { maxAgeSeconds: 0, secure: ownOrigin(request).startsWith('https:') }) });
});
