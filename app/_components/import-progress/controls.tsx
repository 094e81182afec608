'use client';

import { useSyncExternalStore } from 'react';
import { isTerminal, JOB, type JobStatusView } from '@/lib/imports/shared';
import { Button, ConfirmButton } from './confirm-button';

const CONCURRENCY_KEY = 'kbo-import-concurrency';
const CONCURRENCY_DEFAULT = 4;
const changed = new Set<() => void>();

function savedConcurrency(): number {
  const saved = Number(window.localStorage.getItem(CONCURRENCY_KEY));
  return Number.isInteger(saved) && saved >= 1 && saved <= 8 ? saved : CONCURRENCY_DEFAULT;
}

function onConcurrencyChange(listener: () => void): () => void {
  changed.add(listener);
  window.addEventListener('storage', listener);
  return () => {
    changed.delete(listener);
    window.removeEventListener('storage', listener);
  };
}

/** Parallel step calls from this tab: 1–8, default 4, remembered per browser. */
export function useConcurrency(): [number, (n: number) => void] {
  const value = useSyncExternalStore(onConcurrencyChange, savedConcurrency, () => CONCURRENCY_DEFAULT);
  return [
    value,
    (n: number) => {
      window.localStorage.setItem(CONCURRENCY_KEY, String(n));
      for (const listener of changed) listener();
    },
  ];
}

/** The operator's controls: parallel batches, pause, resume, cancel, roll back, the reports. */
export function Controls({
  s,
  run,
  busy,
  pending,
  concurrency,
  setConcurrency,
  jobId,
}: {
  s: JobStatusView;
  run: (verb: string) => void;
  busy: boolean;
  /** The verb sent and not yet answered: its button says so at once. */
  pending: string | null;
  concurrency: number;
  setConcurrency: (n: number) => void;
  jobId: number;
}) {
  const { actions, job } = s;
  return (
    <div className="flex flex-wrap items-center gap-3" role="toolbar" aria-label="Import controls">
      {!isTerminal(job.status) && job.status !== JOB.previewed && (
      <label className="flex items-center gap-2 text-sm text-slate-700">
        Parallel batches
        <select
          value={concurrency}
          onChange={(e) => setConcurrency(Number(e.target.value))}
          className="rounded-md border border-slate-300 bg-white px-2 py-1"
          data-testid="concurrency"
        >
          {[1, 2, 3, 4, 5, 6, 7, 8].map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      )}
      {actions.pause && (
        <Button onClick={() => run('pause')} disabled={busy} data-testid="pause">
          {pending === 'pause' ? 'Pausing…' : 'Pause'}
        </Button>
      )}
      {actions.resume && (
        <Button tone="primary" onClick={() => run('resume')} disabled={busy} data-testid="resume">
          {pending === 'resume' ? 'Resuming…' : 'Resume'}
        </Button>
      )}
      {actions.cancel && (
        <ConfirmButton
          label="Cancel"
          title={`Cancel import #${job.id}?`}
          body={<p>Every batch applied so far is undone, and the register is left exactly as it was before this import. The file can be uploaded again later.</p>}
          confirm="Cancel import"
          dismiss="Don't cancel, carry on importing"
          onConfirm={() => run('cancel')}
          disabled={busy}
          testId="cancel"
        />
      )}
      {actions.apply && (
        <ConfirmButton
          label="Apply"
          tone="primary"
          title={`Apply preview #${job.id}?`}
          body={
            <p>
              Extract {job.extractNumber} is imported from the rows this preview staged: the register changes as the preview said. Refused if the register
              moved on since.
            </p>
          }
          confirm="Apply to the register"
          dismiss="Not now"
          onConfirm={() => run('apply')}
          disabled={busy}
          testId="apply"
        />
      )}
      {actions.discard && (
        <ConfirmButton
          label="Discard"
          title={`Discard preview #${job.id}?`}
          body={<p>Its staged rows and what it worked out are dropped. The register never changed; the file can be previewed or imported again.</p>}
          confirm="Discard preview"
          dismiss="Keep it"
          onConfirm={() => run('discard')}
          disabled={busy}
          testId="discard"
        />
      )}
      {actions.rollback && (
        <ConfirmButton
          label="Roll back"
          title={`Roll back import #${job.id}?`}
          body={
            <p>
              Every table returns to its state before extract {job.extractNumber}: rows this import added are removed, rows it ended become current again,
              codes and primary names included.
            </p>
          }
          confirm="Roll back"
          dismiss="Don't roll back"
          onConfirm={() => run('rollback')}
          disabled={busy}
          testId="rollback"
        />
      )}
      {job.status === JOB.completed && !actions.rollback && (
        <span className="text-sm text-slate-500" data-testid="rollback-unavailable">
          Roll back is offered for the latest completed import only, while no other import is active: roll back the later imports first.
        </span>
      )}
      <span className="ml-auto flex gap-3 text-sm">
        <a className="text-sky-700 underline underline-offset-2" href={`/api/imports/${jobId}/report`} download data-testid="report-json">
          Report (JSON)
        </a>
        {s.rejected > 0 ? (
          <a className="text-sky-700 underline underline-offset-2" href={`/api/imports/${jobId}/report?format=csv`} download data-testid="report-csv">
            Rejected rows (CSV)
          </a>
        ) : (
          <span className="text-slate-500" data-testid="report-none-rejected">
            No rows rejected
          </span>
        )}
      </span>
    </div>
  );
}
