import { redirect } from 'next/navigation';
import { currentAdmin } from '../_lib/session';
import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';

/** Only a local path: never send a signed-in admin to another site. */
function safeNext(next: string | string[] | undefined): string {
  const value = Array.isArray(next) ? next[0] : next;
  return value && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/imports';
}

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNext((await searchParams).next);
  if (await currentAdmin()) redirect(next);
  return (
    <div className="mx-auto max-w-sm space-y-4 pt-8">
      <h1 className="text-2xl font-semibold">Sign in</h1>
      <p className="text-sm text-slate-600">The imports change the register copy; only admins may run them.</p>
      <LoginForm next={next} />
    </div>
  );
}
