'use client';

/** Signs out here, or everywhere (every session of this user ends at once), then opens the login page. */
async function signOut(everywhere: boolean) {
  await fetch('/api/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ everywhere }) }).catch(() => undefined);
  // A full load, not a client navigation: nothing the signed-out user saw stays cached.
  // eslint-disable-next-line @next/next/no-location-assign-relative-destination
  window.location.assign('/login');
}

export function SignOut({ user }: { user: string }) {
  return (
    <span className="ml-auto flex items-center gap-3 text-sm text-slate-600">
      <span data-testid="signed-in-as">{user}</span>
      <button type="button" className="rounded-md border border-slate-300 px-2 py-1 hover:bg-slate-50" onClick={() => signOut(false)} data-testid="sign-out">
        Sign out
      </button>
      <button
        type="button"
        className="text-xs text-slate-500 underline hover:text-slate-900"
        title="End every session of this user, on every browser"
        onClick={() => signOut(true)}
        data-testid="sign-out-everywhere"
      >
        everywhere
      </button>
    </span>
  );
}
