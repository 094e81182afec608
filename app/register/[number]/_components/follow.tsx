'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '@/app/_lib/api';

/** A new watchlist made by following from an entity's page is named this. */
const FIRST_LIST = 'Followed companies';

/**
 * The badge of an entity the user follows (the watchlists that name it), and Follow: into one
 * of the user's watchlists, or a first one made for it.
 */
export function Follow({ number, followedIn, lists }: { number: string; followedIn: { id: number; name: string }[]; lists: { id: number; name: string }[] }) {
  const router = useRouter();
  const open = lists.filter((l) => !followedIn.some((f) => f.id === l.id));
  const [chosen, setChosen] = useState<string | null>(null);
  // What was chosen while it is still one to follow in (after a Follow it may not be), else the first.
  const target = chosen !== null && (chosen === 'new' || open.some((l) => String(l.id) === chosen)) ? chosen : open[0] ? String(open[0].id) : 'new';
  const setTarget = setChosen;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function follow() {
    setError(null);
    setBusy(true);
    try {
      if (target === 'new') await api('/api/watchlists', { method: 'POST', body: { name: lists.some((l) => l.name === FIRST_LIST) ? `${FIRST_LIST} ${lists.length + 1}` : FIRST_LIST, numbers: [number] } });
      else await api(`/api/watchlists/${target}`, { method: 'PATCH', body: { add: [number] } });
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="flex flex-wrap items-center gap-2 text-sm" data-testid="follow">
      {followedIn.length > 0 && (
        <span className="rounded-full bg-emerald-100 px-2.5 py-0.5 font-medium text-emerald-800" data-testid="watched-badge">
          Watched in{' '}
          {followedIn.map((f, i) => (
            <span key={f.id}>
              {i > 0 && ', '}
              <Link href={`/watchlists/${f.id}`} className="underline underline-offset-2">
                {f.name}
              </Link>
            </span>
          ))}
        </span>
      )}
      <label htmlFor="follow-into" className="sr-only">
        Follow in
      </label>
      <select id="follow-into" value={target} onChange={(e) => setTarget(e.target.value)} className="rounded-md border border-slate-300 px-2 py-1" data-testid="follow-into">
        {open.map((l) => (
          <option key={l.id} value={l.id}>
            {l.name}
          </option>
        ))}
        <option value="new">a new watchlist</option>
      </select>
      <button type="button" onClick={() => void follow()} disabled={busy} className="rounded-md bg-slate-900 px-3 py-1 font-medium text-white disabled:opacity-50" data-testid="follow-button">
        Follow
      </button>
      {error && (
        <span role="alert" className="text-red-700" data-testid="follow-error">
          {error}
        </span>
      )}
    </div>
  );
}
