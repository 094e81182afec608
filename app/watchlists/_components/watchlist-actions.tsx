'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { ConfirmButton } from '@/app/_components/import-progress/confirm-button';
import { api } from '@/app/_lib/api';

type Sent = { sent: { channel: string; recipient: string; delivered: boolean; error: string | null }[] };

/** What is done to a watchlist on its page: numbers added or removed, a test sent, the watchlist deleted. */
export function WatchlistActions({ id, numbers, members, channels }: { id: number; numbers: string[]; members: number; channels: { webhookUrl: string | null; email: string | null } }) {
  const canSend = Boolean(channels.webhookUrl || channels.email);
  const [webhookUrl, setWebhookUrl] = useState(channels.webhookUrl ?? '');
  const [email, setEmail] = useState(channels.email ?? '');
  const [secret, setSecret] = useState<string | null>(null);
  const router = useRouter();
  const [adding, setAdding] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<Sent | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(run: () => Promise<void>) {
    setError(null);
    setNote(null);
    setBusy(true);
    try {
      await run();
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const add = () =>
    act(async () => {
      const r = await api<{ members: number; invalid: { value: string; message: string }[] }>(`/api/watchlists/${id}`, { method: 'PATCH', body: { add: adding.split(/[\n,;]+/).map((n) => n.trim()).filter(Boolean) } });
      setAdding('');
      setNote(`It follows ${r.members.toLocaleString('en')} numbers now.${r.invalid.length ? ` Not read: ${r.invalid.map((i) => `${i.value} (${i.message})`).join('; ')}` : ''}`);
    });

  const saveChannels = () =>
    act(async () => {
      await api(`/api/watchlists/${id}`, { method: 'PATCH', body: { webhookUrl: webhookUrl.trim() || null, email: email.trim() || null } });
      setNote('Saved: its next digests go there.');
    });
  const newSecret = () => act(async () => setSecret((await api<{ secret: string }>(`/api/watchlists/${id}`, { method: 'PATCH', body: { newSecret: true } })).secret));

  return (
    <section className="space-y-3" aria-label="Settings">
      <h2 className="text-lg font-semibold">Digests</h2>
      <div className="flex flex-wrap items-end gap-2 text-sm">
        <label className="space-y-1">
          <span className="block text-slate-600">Webhook</span>
          <input type="url" value={webhookUrl} onChange={(e) => setWebhookUrl(e.target.value)} placeholder="https://hooks.example.org/kbo" className="w-80 rounded-md border border-slate-300 px-2 py-1" data-testid="watchlist-webhook" />
        </label>
        <label className="space-y-1">
          <span className="block text-slate-600">Email (the server needs SMTP_URL)</span>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="desk@example.org" className="w-64 rounded-md border border-slate-300 px-2 py-1" data-testid="watchlist-email" />
        </label>
        <button type="button" disabled={busy} onClick={() => void saveChannels()} className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white disabled:opacity-50" data-testid="watchlist-save-channels">
          Save
        </button>
        <button type="button" disabled={busy} onClick={() => void newSecret()} className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium disabled:opacity-50" data-testid="watchlist-new-secret">
          New secret
        </button>
      </div>
      {secret && (
        <p role="status" className="text-sm text-emerald-900" data-testid="watchlist-secret-made">
          Its new secret, which signs its webhook digests from now on, shown this once: <code className="break-all rounded bg-emerald-50 px-1" data-testid="watchlist-secret">{secret}</code>
        </p>
      )}
      <h2 className="text-lg font-semibold">Numbers it follows</h2>
      {members > numbers.length && <p className="text-sm text-slate-600">The first {numbers.length.toLocaleString('en')} of {members.toLocaleString('en')}.</p>}
      {numbers.length > 0 && (
        <ul className="flex flex-wrap gap-2 text-sm" data-testid="watchlist-members">
          {numbers.map((n) => (
            <li key={n} className="flex items-center gap-1 rounded-full border border-slate-200 bg-white px-2 py-0.5" data-testid="watchlist-member">
              <Link href={`/register/${n}`} className="font-mono text-sky-700">
                {n}
              </Link>
              <button type="button" aria-label={`Stop following ${n}`} className="text-slate-500 hover:text-red-700" disabled={busy} onClick={() => void act(async () => void (await api(`/api/watchlists/${id}`, { method: 'PATCH', body: { remove: [n] } })))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="flex flex-wrap items-start gap-2">
        <label htmlFor="watch-add" className="sr-only">
          Numbers to follow too
        </label>
        <textarea id="watch-add" value={adding} onChange={(e) => setAdding(e.target.value)} placeholder="0200.065.765" className="h-16 w-72 rounded-md border border-slate-300 px-2 py-1 font-mono text-sm" data-testid="watchlist-add" />
        <button type="button" disabled={busy || !adding.trim()} onClick={() => void add()} className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50" data-testid="watchlist-add-button">
          Follow these too
        </button>
        <button
          type="button"
          disabled={busy || !canSend}
          title={canSend ? undefined : 'Give it a webhook or an email address first'}
          onClick={() => void act(async () => setSent(await api<Sent>(`/api/watchlists/${id}/test`, { method: 'POST' })))}
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium disabled:opacity-50"
          data-testid="watchlist-send-test"
        >
          Send a test
        </button>
        <ConfirmButton
          label="Delete"
          title="Delete this watchlist?"
          body={<p>Its numbers, its search and its matches go with it; its digests stop.</p>}
          confirm="Delete"
          dismiss="Keep it"
          onConfirm={() =>
            void act(async () => {
              await api(`/api/watchlists/${id}`, { method: 'DELETE' });
              router.push('/watchlists');
            })
          }
          testId="watchlist-delete"
        />
      </div>
      {sent && (
        <ul role="status" className="text-sm" data-testid="watchlist-test-result">
          {sent.sent.map((s) => (
            <li key={s.channel} className={s.delivered ? 'text-emerald-800' : 'text-red-700'}>
              {s.channel} to {s.recipient}: {s.delivered ? 'delivered' : `not delivered: ${s.error ?? 'no answer'}`}
            </li>
          ))}
        </ul>
      )}
      {note && (
        <p role="status" className="text-sm text-slate-700" data-testid="watchlist-note">
          {note}
        </p>
      )}
      {error && (
        <p role="alert" className="text-sm text-red-700" data-testid="watchlist-action-error">
          {error}
        </p>
      )}
    </section>
  );
}
