'use client';

export function SignOut({ user }: { user: string }) {
  return (
    <span className="ml-auto flex items-center gap-3 text-sm text-slate-600">
      <span data-testid="signed-in-as">{user}</span>
      <button
        type="button"
        className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50"
        onClick={async () => {
          await fetch('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
          // A full load, not a client navigation: nothing the signed-out user saw stays cached.
          // eslint-disable-next-line @next/next/no-location-assign-relative-destination
          window.location.assign('/login');
        }}
        data-testid="sign-out"
      >
        Sign out
      </button>
    </span>
  );
}
