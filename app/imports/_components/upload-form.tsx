'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';

export function UploadForm() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch('/api/imports', { method: 'POST', body: new FormData(event.currentTarget) });
      const body = await res.json();
      if (!res.ok) {
        setError(body?.error?.message ?? `The server answered ${res.status}.`);
        return;
      }
      router.push(`/imports/${body.job.id}`);
    } catch {
      setError('The upload did not reach the server; check the connection and try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="flex flex-wrap items-center gap-3 rounded border border-slate-200 bg-white p-4">
      <label className="text-sm" htmlFor="file">KBO zip</label>
      <input id="file" name="file" type="file" accept=".zip" required data-testid="upload-input" />
      <button type="submit" disabled={busy} className="rounded bg-slate-900 px-4 py-2 text-white disabled:opacity-50" data-testid="upload-submit">
        {busy ? 'Staging…' : 'Import daily update'}
      </button>
      {error && (
        <p role="alert" className="w-full text-sm text-red-700" data-testid="upload-error">{error}</p>
      )}
    </form>
  );
}
