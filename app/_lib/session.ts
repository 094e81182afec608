import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { authConfig } from '@/lib/auth/config';
import { SESSION_COOKIE, verifySession } from '@/lib/auth/session';

/** The signed-in admin of this request, or null. */
export async function currentAdmin(): Promise<string | null> {
  const config = authConfig();
  const session = verifySession(config.sessionSecret, (await cookies()).get(SESSION_COOKIE)?.value);
  return session && config.users.has(session.user) ? session.user : null;
}

/** Every admin page starts with this: no session, no page (the login page, then back to `path`). */
export async function requireAdmin(path: string): Promise<string> {
  const user = await currentAdmin();
  if (!user) redirect(`/login?next=${encodeURIComponent(path)}`);
  return user;
}
