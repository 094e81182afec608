'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '@/app/_lib/api';

type Made = { id: number; secret: string; members: number; invalid: { value: string; message: string }[]; invalidCount: number };
const FILTERS = [
  ['q', 'Name starts with', 'bakkerij'],
  ['nace', 'NACE code', '62010'],
  ['place', 'Postcode or municipality', '9000'],
  ['form', 'Juridical form', '014'],
  ['status', 'Status', 'AC'],
] as const;
const input = 'w-full rounded-md border border-slate-300 px-2 py-1 text-sm';

/** Makes a watchlist: numbers pasted or from a CSV file, a saved search, or both; its webhook and address. The secret is shown once. */
export function NewWatchlist() {
  const router = useRouter();
  const [form, setForm] = useState<Record<string, string>>({});
  const [csv, setCsv] = useState<{ name: string; text: string } | null>(null);
  const [made, setMade] = useState<Made | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: string) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => setForm((f) => ({ ...f, [k]: e.target.value }));

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const search = Object.fromEntries(FILTERS.map(([k]) => [k, form[k]?.trim()]).filter(([, v]) => v));
      const pasted = (form.numbers ?? '').split(/[\n,;]+/).map((n) => n.trim()).filter(Boolean);
      const body = {
        name: form.name ?? '',
        ...(pasted.length ? { numbers: pasted } : {}),
        ...(csv ? { csv: csv.text } : {}),
        ...(Object.keys(search).length ? { search } : {}),
        ...(form.webhookUrl?.trim() ? { webhookUrl: form.webhookUrl.trim() } : {}),
        ...(form.email?.trim() ? { email: form.email.trim() } : {}),
      };
      if (pasted.length && csv) throw new Error('Give the numbers pasted or as a CSV file, not both.');
      setMade(await api<Made>('/api/watchlists', { method: 'POST', body }));
      setForm({});
      setCsv(null);
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Make a watchlist">
      <h2 className="text-lg font-semibold">Make a watchlist</h2>
      {made && (
        <div role="status" className="space-y-1 rounded-md border border-emerald-300 bg-emerald-50 p-3 text-sm text-emerald-900" data-testid="watchlist-made">
          <p>
            <Link href={`/watchlists/${made.id}`} className="font-medium underline underline-offset-2">
              Watchlist #{made.id}
            </Link>{' '}
            follows {made.members.toLocaleString('en')} number{made.members === 1 ? '' : 's'}
            {made.invalidCount > 0 ? `; ${made.invalidCount} could not be read:` : '.'}
          </p>
          {made.invalid.length > 0 && (
            <ul className="list-disc pl-5" data-testid="watchlist-invalid">
              {made.invalid.slice(0, 20).map((i, k) => (
                <li key={`${k}-${i.value}`}>
                  <code>{i.value}</code>: {i.message}
                </li>
              ))}
            </ul>
          )}
          <p>
            Its secret, which signs its webhook digests, shown this once: <code className="break-all rounded bg-white px-1" data-testid="watchlist-secret">{made.secret}</code>
          </p>
        </div>
      )}
      <form onSubmit={submit} className="grid gap-3 md:grid-cols-2">
        <label className="space-y-1 text-sm">
          <span className="text-slate-600">Name</span>
          <input className={input} value={form.name ?? ''} onChange={set('name')} maxLength={100} required data-testid="watchlist-name" />
        </label>
        <label className="space-y-1 text-sm">
          <span className="text-slate-600">Or a CSV file of numbers (up to 100,000)</span>
          <input
            type="file"
            accept=".csv,text/csv,text/plain"
            className="block text-sm"
            data-testid="watchlist-csv"
            onChange={async (e) => {
              const file = e.target.files?.[0];
              setCsv(file ? { name: file.name, text: await file.text() } : null);
            }}
          />
        </label>
        <label className="space-y-1 text-sm md:col-span-2">
          <span className="text-slate-600">Numbers, one a line (any form: 0200065765, BE 0200.065.765)</span>
          <textarea className={`${input} h-24 font-mono`} value={form.numbers ?? ''} onChange={set('numbers')} data-testid="watchlist-numbers" />
        </label>
        <fieldset className="grid gap-2 md:col-span-2 md:grid-cols-5">
          <legend className="mb-1 text-sm text-slate-600">And/or a saved search: the entities it finds before or after each import</legend>
          {FILTERS.map(([k, label, example]) => (
            <label key={k} className="space-y-1 text-sm">
              <span className="text-slate-600">{label}</span>
              <input className={input} value={form[k] ?? ''} onChange={set(k)} placeholder={example} data-testid={`watchlist-search-${k}`} />
            </label>
          ))}
        </fieldset>
        <label className="space-y-1 text-sm">
          <span className="text-slate-600">Webhook (optional: a signed digest after each import)</span>
          <input className={input} type="url" value={form.webhookUrl ?? ''} onChange={set('webhookUrl')} placeholder="https://hooks.example.org/kbo" data-testid="watchlist-webhook" />
        </label>
        <label className="space-y-1 text-sm">
          <span className="text-slate-600">Email (optional; the server needs SMTP_URL)</span>
          <input className={input} type="email" value={form.email ?? ''} onChange={set('email')} placeholder="desk@example.org" data-testid="watchlist-email" />
        </label>
        <div className="md:col-span-2">
          <button type="submit" disabled={busy} className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-50" data-testid="watchlist-create">
            Make the watchlist
          </button>
          {error && (
            <p role="alert" className="mt-2 text-sm text-red-700" data-testid="watchlist-error">
              {error}
            </p>
          )}
        </div>
      </form>
    </section>
  );
}
