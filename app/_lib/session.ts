import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { authConfig, type Role } from '@/lib/auth/config';
import { SESSION_COOKIE } from '@/lib/auth/session';
import { pageSession } from '@/lib/auth/sessions';
import { getDb } from '@/lib/db/client';

/** The signed-in user of this request (a live session) and their role, or null. */
export async function currentUser(): Promise<{ user: string; role: Role } | null> {
  const session = await pageSession(getDb, (await cookies()).get(SESSION_COOKIE)?.value);
  return session ? { user: session.user, role: authConfig().roles.get(session.user) ?? 'reader' } : null;
}

/** A page anyone signed in may see (the register, watchlists): no session, no page (the login page, then back to `path`). */
export async function requireUser(path: string): Promise<{ user: string; role: Role }> {
  const who = await currentUser();
  if (!who) redirect(`/login?next=${encodeURIComponent(path)}`);
  return who;
}

/** Every admin page starts with this: no session, the login page; a reader, the register (readers never import or control). */
export async function requireAdmin(path: string): Promise<string> {
  const who = await requireUser(path);
  if (who.role !== 'admin') redirect(`/register?admins=${encodeURIComponent(path)}`);
  return who.user;
}
