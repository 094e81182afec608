'use client';

import { useState } from 'react';
import type { KeyView } from '@/lib/auth/keys';
import { DataTable } from '@/app/_components/data-table';
import { ConfirmButton } from '@/app/_components/import-progress/confirm-button';
import { api } from '../../_lib/api';

const time = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : 'never');

/** The keys, a form to make one (shown once), and Revoke on each live one. */
export function KeysPanel({ initial }: { initial: KeyView[] }) {
  const [keys, setKeys] = useState(initial);
  const [name, setName] = useState('');
  const [made, setMade] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reload = async () => setKeys((await api<{ keys: KeyView[] }>('/api/keys')).keys);

  async function create(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await api<{ id: number; key: string }>('/api/keys', { method: 'POST', body: { name, scope: 'read' } });
      setMade({ name, key: r.key });
      setName('');
      await reload();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  async function revoke(id: number) {
    setError(null);
    try {
      await api(`/api/keys/${id}`, { method: 'DELETE' });
      await reload();
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">API keys</h1>
      <p className="text-slate-700">
        A key of its own for each program that reads the register or keeps watchlists (scope <code>read</code>): it may search, read entities and change
        lists and keep its watchlists, never import, control an import or the sync. Send it as <code>Authorization: Bearer &lt;key&gt;</code>. It is shown once,
        when it is made, and stored hashed; a revoked key is refused from its next request.
      </p>
      <form onSubmit={create} className="flex flex-wrap items-center gap-2" aria-label="Make an API key">
        <label htmlFor="key-name" className="text-sm text-slate-600">
          Name
        </label>
        <input
          id="key-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="supplier-desk sync"
          maxLength={100}
          className="rounded-md border border-slate-300 px-2 py-1 text-sm"
          data-testid="key-name"
        />
        <button type="submit" disabled={!name.trim() || busy} className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50" data-testid="key-create">
          Make a read key
        </button>
      </form>
      {made && (
        <div role="status" className="space-y-1 rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900" data-testid="key-made">
          <p>The key of {made.name}, shown this once: copy it now.</p>
          <code className="block break-all rounded bg-white px-2 py-1" data-testid="key-value">
            {made.key}
          </code>
        </div>
      )}
      {error && (
        <p role="alert" className="text-sm text-red-700" data-testid="key-error">
          {error}
        </p>
      )}
      <DataTable head={['name', 'key', 'scope', 'made', 'last used', 'state']} testId="keys">
        {keys.map((k) => (
          <tr key={k.id} className="border-t border-slate-100" data-testid="key-row" data-name={k.name}>
            <td className="px-3 py-2">{k.name}</td>
            <td className="px-3 py-2 font-mono">{k.prefix}…</td>
            <td className="px-3 py-2">{k.scope}</td>
            <td className="px-3 py-2 whitespace-nowrap">
              {time(k.createdAt)} by {k.createdBy}
            </td>
            <td className="px-3 py-2 whitespace-nowrap" data-testid="key-last-used">
              {time(k.lastUsedAt)}
            </td>
            <td className="px-3 py-2">
              {k.revokedAt ? (
                <span className="text-slate-500" data-testid="key-revoked">
                  revoked {time(k.revokedAt)}
                </span>
              ) : (
                <ConfirmButton
                  label="Revoke"
                  title={`Revoke the key ${k.name}?`}
                  body={<p>Its next request is refused; a program using it needs a new key.</p>}
                  confirm="Revoke"
                  dismiss="Keep it"
                  onConfirm={() => void revoke(k.id)}
                  testId={`revoke-${k.id}`}
                />
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
