import { redirect } from 'next/navigation';
import { safeNextPath } from '@/lib/auth/next-path';
import { currentUser } from '../_lib/session';
import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';


export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  // Only a path of this site: never send a signed-in admin elsewhere.
  const next = safeNextPath((await searchParams).next);
  if (await currentUser()) redirect(next);
  return (
    <div className="mx-auto max-w-sm space-y-4 pt-8">
      <h1 className="text-2xl font-semibold">Sign in</h1>
      <p className="text-sm text-slate-600">The imports change the register copy; only admins may run them.</p>
      <LoginForm next={next} />
    </div>
  );
}
