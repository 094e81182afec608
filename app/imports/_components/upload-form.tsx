'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ProgressBar } from '@/app/_components/progress-bar';
import { StagingProgressView } from '@/app/_components/staging-progress';
import { JOB, submitLabel } from '@/lib/imports/shared';
import type { StagingProgress } from '@/lib/db/schema';
import { api, ApiError, toLogin } from '../../_lib/api';
import { fetchFromUrl, uploadInParts, type PartsProgress } from '../_lib/upload-parts';

type Phase =
  | { kind: 'idle' }
  | { kind: 'uploading'; sent: number; total: number; parts?: boolean; retrying?: string | null; fetching?: boolean; resumed?: PartsProgress['resumed'] }
  | { kind: 'staging'; since: number };

interface Answer {
  status: number;
  body: { job?: { id: number }; error?: { message?: string } } | null;
}

/** POST the form with XMLHttpRequest, which (unlike fetch) reports upload progress. */
function send(form: FormData, onProgress: (sent: number, total: number) => void, onUploaded: () => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/imports');
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded, e.total);
    xhr.upload.onload = onUploaded;
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new Error('network'));
    xhr.send(form);
  });
}

/**
 * While the server stages our upload, its job is the one `preparing` (one import at a time):
 * poll the history for it and show how far staging got.
 */
function useStaging(fileName: string | undefined): StagingProgress | null {
  const { data } = useQuery({
    queryKey: ['imports', 'staging', fileName],
    queryFn: () => api<{ imports: { fileName: string; status: string; staging: StagingProgress | null }[] }>('/api/imports?limit=1'),
    enabled: Boolean(fileName),
    refetchInterval: 500,
  });
  const job = data?.imports.find((j) => j.status === JOB.preparing && j.fileName === fileName);
  return job?.staging ?? null;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;

/**
 * "Import daily update": a zip by picker or drag and drop (sent in parts when it is bigger
 * than one request may be), or a URL the server fetches; upload and staging progress, then
 * the job's page.
 */
export function UploadForm({ partBytes, registerAt }: { partBytes: number; registerAt: number | null }) {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [force, setForce] = useState(false);
  const [preview, setPreview] = useState(false);
  const [onError, setOnError] = useState<'continue' | 'fail-fast'>('continue');
  const [dragging, setDragging] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const [url, setUrl] = useState('');
  const [now, setNow] = useState(() => Date.now());
  const busy = phase.kind !== 'idle';
  const staging = useStaging(phase.kind === 'staging' ? file?.name : undefined);

  useEffect(() => {
    if (phase.kind !== 'staging') return;
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, [phase.kind]);

  function choose(f: File | undefined | null) {
    setError(null);
    if (!f) return;
    if (!f.name.toLowerCase().endsWith('.zip')) {
      setError(`${f.name} is not a .zip file; choose a KBO Open Data extract (KboOpenData_…_Update.zip).`);
      return;
    }
    setFile(f);
  }

  const progressOf = (fetching: boolean) => (p: PartsProgress) => {
    if (p.sent >= p.total && !p.retrying) {
      setNow(Date.now());
      setPhase({ kind: 'staging', since: Date.now() });
    } else setPhase({ kind: 'uploading', sent: p.sent, total: p.total, parts: true, retrying: p.retrying, fetching, resumed: p.resumed });
  };

  /** The parts (or the fetch) are the server's to check; then its import's page. */
  async function viaParts(start: () => Promise<{ job: { id: number } }>) {
    try {
      const status = await start();
      router.push(`/imports/${status.job.id}`);
      return;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return toLogin();
      setError(err instanceof Error ? err.message : String(err));
    }
    setPhase({ kind: 'idle' });
  }

  async function onFetch(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!url.trim() || busy) return;
    setError(null);
    setPhase({ kind: 'uploading', sent: 0, total: 0, parts: true, fetching: true });
    await viaParts(() => fetchFromUrl(url.trim(), { force, onError, ...(preview ? { preview } : {}) }, progressOf(true)));
  }

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file || busy) return;
    setError(null);
    if (file.size > partBytes) {
      setPhase({ kind: 'uploading', sent: 0, total: file.size, parts: true });
      await viaParts(() => uploadInParts(file, { force, onError, ...(preview ? { preview } : {}) }, progressOf(false)));
      return;
    }
    const form = new FormData();
    form.set('file', file);
    if (force) form.set('force', 'true');
    if (preview) form.set('preview', 'true');
    form.set('onError', onError);
    setPhase({ kind: 'uploading', sent: 0, total: file.size });
    try {
      const answer = await send(
        form,
        (sent, total) => setPhase({ kind: 'uploading', sent, total }),
        () => {
          setNow(Date.now());
          setPhase({ kind: 'staging', since: Date.now() });
        },
      );
      if (answer.status === 401) return toLogin();
      if (answer.status >= 200 && answer.status < 300 && answer.body?.job) {
        router.push(`/imports/${answer.body.job.id}`);
        return;
      }
      setError(answer.body?.error?.message ?? `The server answered ${answer.status}; the file was not imported.`);
    } catch {
      setError('The upload did not reach the server; check the connection and try again.');
    }
    setPhase({ kind: 'idle' });
  }

  return (
    <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
    <form onSubmit={onSubmit} className="space-y-3" aria-label="Import daily update">
      <label
        htmlFor="file"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          choose(e.dataTransfer.files[0]);
        }}
        data-testid="dropzone"
        className={`flex cursor-pointer flex-col items-center justify-center gap-1 rounded-md border-2 border-dashed px-4 py-6 text-center text-sm transition-colors focus-within:ring-2 focus-within:ring-sky-600 ${
          dragging ? 'border-sky-500 bg-sky-50' : 'border-slate-300 hover:border-slate-400'
        }`}
      >
        <span className="font-medium text-slate-800">{file ? file.name : 'Drop a KBO zip here, or choose a file'}</span>
        <span className="text-slate-500">
          {file
            ? `${mb(file.size)}${file.size > partBytes ? ` · sent in ${Math.ceil(file.size / partBytes)} parts of ${mb(partBytes)}` : ''}`
            : 'The daily UPDATE extract, or a FULL extract (into an empty database, or to resync one that holds data)'}
        </span>
        <input
          ref={input}
          id="file"
          name="file"
          type="file"
          accept=".zip,application/zip"
          className="sr-only"
          data-testid="upload-input"
          onChange={(e) => choose(e.target.files?.[0])}
        />
      </label>

      <div className="flex flex-wrap items-center gap-4">
        <button
          type="submit"
          disabled={!file || busy}
          className="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 disabled:cursor-not-allowed disabled:opacity-50"
          data-testid="upload-submit"
        >
          {preview ? `Preview ${file ? 'this file' : 'a file'}` : submitLabel(file?.name ?? null, registerAt)}
        </button>
        <label className="flex items-center gap-2 text-sm text-slate-600">
          Bad rows
          <select
            value={onError}
            onChange={(e) => setOnError(e.target.value as 'continue' | 'fail-fast')}
            disabled={busy}
            className="rounded-md border border-slate-300 bg-white px-2 py-1"
            data-testid="upload-on-error"
          >
            <option value="continue">skip them, import the rest</option>
            <option value="fail-fast">refuse the whole file</option>
          </select>
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-600">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} disabled={busy} data-testid="upload-force" />
          Apply even if out of sequence
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-600" title="Stage the file and work out what it would do, changing nothing; then apply it or discard it">
          <input type="checkbox" checked={preview} onChange={(e) => setPreview(e.target.checked)} disabled={busy} data-testid="upload-preview" />
          Preview first (change nothing until I apply)
        </label>
      </div>

      <div className="min-h-10" aria-live="polite" data-testid="upload-progress">
        {phase.kind === 'uploading' && (
          <div className="space-y-1">
            <ProgressBar value={(100 * phase.sent) / Math.max(1, phase.total)} label="Upload" tone="sky" size="sm" />
            <p className="text-xs text-slate-600 tabular-nums" data-testid="upload-sent">
              {phase.fetching ? 'Fetching' : 'Uploading'} {mb(phase.sent)} of {phase.total ? mb(phase.total) : '…'}
              {phase.parts && !phase.fetching ? ' in parts' : ''}
              {phase.resumed ? ` (resumed: ${phase.resumed.parts} of ${phase.resumed.of} parts were already on the server)` : ''}
            </p>
            {phase.retrying && (
              <p className="text-xs text-amber-800" data-testid="upload-retrying">
                {phase.retrying}
              </p>
            )}
          </div>
        )}
        {phase.kind === 'staging' && (
          <div className="space-y-1">
            <StagingProgressView staging={staging} />
            <p className="text-xs text-slate-500 tabular-nums">Uploaded; {Math.floor((now - phase.since) / 1000)} s on the server so far.</p>
          </div>
        )}
        {error && (
          <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="upload-error">
            {error}
          </p>
        )}
      </div>
    </form>
    <form onSubmit={onFetch} className="flex flex-wrap items-center gap-2 border-t border-slate-100 pt-3 text-sm" aria-label="Fetch from a URL">
      <label htmlFor="zip-url" className="text-slate-600">
        Or fetch it from a URL
      </label>
      <input
        id="zip-url"
        type="url"
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        placeholder="https://…/KboOpenData_0147_2025_10_12_Update.zip"
        disabled={busy}
        className="min-w-0 flex-1 rounded-md border border-slate-300 px-2 py-1"
        data-testid="url-input"
      />
      <button
        type="submit"
        disabled={!url.trim() || busy}
        className="rounded-md border border-slate-300 px-3 py-1 font-medium text-slate-800 hover:bg-slate-50 disabled:cursor-not-allowed disabled:opacity-50"
        data-testid="url-submit"
      >
        {preview ? 'Fetch and preview' : 'Fetch and import'}
      </button>
    </form>
    </div>
  );
}
