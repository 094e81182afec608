import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { SESSION_COOKIE } from '@/lib/auth/session';
import { pageSession } from '@/lib/auth/sessions';
import { getDb } from '@/lib/db/client';

/** The signed-in admin of this request (a live session), or null. */
export async function currentAdmin(): Promise<string | null> {
  const session = await pageSession(getDb, (await cookies()).get(SESSION_COOKIE)?.value);
  return session?.user ?? null;
}

/** Every admin page starts with this: no session, no page (the login page, then back to `path`). */
export async function requireAdmin(path: string): Promise<string> {
  const user = await currentAdmin();
  if (!user) redirect(`/login?next=${encodeURIComponent(path)}`);
  return user;
}
