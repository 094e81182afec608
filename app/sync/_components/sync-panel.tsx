'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { DataTable } from '@/app/_components/data-table';
import { isTerminal } from '@/lib/imports/shared';
import { afterStep, isProblem, SYNC_STEP } from '@/lib/sync/shared';
import type { SyncProgress, SyncStatus } from '@/lib/sync';
import { NotificationsTable } from '@/app/_components/notifications-table';
import { api, fetchStatus, statusKey } from '../../_lib/api';
import { Progress } from '../../_components/import-progress/progress';
import { SyncSetup } from '../../_components/sync-setup';

type Status = Omit<SyncStatus, 'lastCheck' | 'nextCheckAt' | 'runs'> & {
  lastCheck: { at: string | null; outcome: string | null };
  nextCheckAt: string | null;
  runs: (Omit<SyncStatus['runs'][number], 'startedAt' | 'finishedAt'> & { startedAt: string; finishedAt: string | null })[];
};


const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : 'never');

/**
 * The button runs a sync step after step (the same steps as `npm run sync` and the cron):
 * the plan, each file fetched in parts, then each import on its own progress panel, which
 * drives it (pause, cancel and the rest as on an import's page); once it completes, the next.
 */
export function SyncPanel({ initial }: { initial: Status }) {
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ['sync'], queryFn: () => api<Status>('/api/sync'), initialData: initial, refetchInterval: 10_000 });
  const s = status.data;
  const holder = useRef<string>('');
  const [running, setRunning] = useState(false);
  const [plan, setPlan] = useState<string | null>(null);
  const [last, setLast] = useState<SyncProgress | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const job = useQuery({ queryKey: statusKey(jobId ?? 0), queryFn: () => fetchStatus(jobId as number), enabled: jobId !== null });

  const step = async (check: boolean) => {
    try {
      const p = await api<SyncProgress>('/api/sync', { method: 'POST', body: { holder: holder.current, check } });
      setLast(p);
      if (p.state === SYNC_STEP.planned) setPlan(p.message);
      const next = afterStep(p.state);
      if (next === 'drive') return setJobId(p.jobId);
      if (next === 'step') return void step(false);
      setRunning(false);
      if (isProblem(p.state)) setProblem(p.message);
      void queryClient.invalidateQueries({ queryKey: ['sync'] });
    } catch (err) {
      setRunning(false);
      setProblem((err as Error).message);
    }
  };

  // The import under way ended: on to the next step of the plan (which says so if it did not complete).
  const jobStatus = job.data?.job.status;
  // (An effect is the place: the status arrives from the server, and the next step is a call.)
  useEffect(() => {
    if (jobId !== null && jobStatus !== undefined && isTerminal(jobStatus)) {
      // eslint-disable-next-line react-hooks/set-state-in-effect
      setJobId(null);
      void step(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [jobId, jobStatus]);

  // While an import of this sync runs, step now and then: that keeps this page's lease, so the
  // cron does not take the sync over while the page drives it.
  useEffect(() => {
    if (jobId === null) return;
    const keep = setInterval(() => void api('/api/sync', { method: 'POST', body: { holder: holder.current, check: false } }).catch(() => {}), 30_000);
    return () => clearInterval(keep);
  }, [jobId]);

  const start = () => {
    holder.current = `page:${crypto.randomUUID()}`;
    setRunning(true);
    setProblem(null);
    setPlan(null);
    setLast(null);
    void step(true);
  };

  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Sync with the KBO portal</h1>
        {s.configured ? (
          <button
            type="button"
            data-testid="sync-start"
            disabled={running}
            onClick={start}
            className="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700 disabled:opacity-50"
          >
            {running ? 'Syncing…' : 'Import daily update'}
          </button>
        ) : null}
      </div>
      {!s.configured && <SyncSetup />}

      <dl className="grid grid-cols-1 gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm sm:grid-cols-2" data-testid="sync-status">
        <Fact label="Register at">{s.register ? `extract ${s.register.extractNumber}, snapshot ${s.register.snapshotDate ?? '?'}` : 'empty'}</Fact>
        <Fact label="Portal's newest">{s.portal.newest !== null ? `extract ${s.portal.newest}${s.portal.newestDate ? `, ${s.portal.newestDate}` : ''}` : 'not checked yet'}</Fact>
        <Fact label="Behind">{s.behind === null ? '—' : s.behind === 0 ? 'up to date' : `${s.behind} extract${s.behind === 1 ? '' : 's'}, ${s.lagDays ?? '?'} day${s.lagDays === 1 ? '' : 's'}`}</Fact>
        <Fact label="Last check">{`${when(s.lastCheck.at)}${s.lastCheck.outcome ? `: ${s.lastCheck.outcome}` : ''}`}</Fact>
        <Fact label="Next scheduled check">{s.configured ? when(s.nextCheckAt) : '—'}</Fact>
        <Fact label="Portal">{s.portalUrl}</Fact>
      </dl>
      {s.alertUndelivered && (
        <p role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="sync-alert-undelivered">
          {s.alertUndelivered}
        </p>
      )}

      {(plan || last || problem) && (
        <section className="space-y-2" data-testid="sync-progress" aria-label="This sync">
          {plan && (
            <p className="font-medium" data-testid="sync-plan">
              {plan}
            </p>
          )}
          {last && last.state !== SYNC_STEP.planned && !problem && (
            <p className="text-sm text-slate-700" data-testid="sync-message">
              {last.message}
              {last.fetch && ` (${Math.round((100 * last.fetch.bytes) / Math.max(1, last.fetch.size))}%)`}
            </p>
          )}
          {problem && (
            <p role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800" data-testid="sync-problem">
              {problem}
            </p>
          )}
        </section>
      )}
      {jobId !== null && (
        <section className="rounded-lg border border-slate-200 p-4" data-testid="sync-import">
          <p className="mb-3 text-sm text-slate-600">
            <Link className="text-sky-700 underline underline-offset-2" href={`/imports/${jobId}`}>
              Import #{jobId}
            </Link>{' '}
            of this sync; once it completes, the sync goes on.
          </p>
          <Progress jobId={jobId} />
        </section>
      )}

      <section className="space-y-2" aria-label="Notifications">
        <h2 className="text-lg font-semibold">Notifications</h2>
        <p className="text-sm text-slate-600" data-testid="notify-channels">
          {s.notify.channels.length === 0
            ? 'None are sent: set NOTIFY_WEBHOOK_URL (or SYNC_WEBHOOK_URL), SMTP_URL with NOTIFY_EMAIL_TO, and HEALTHCHECK_URL for a monitor (docs/configuration.md).'
            : `Sent to ${s.notify.channels.map((c) => `${c.channel === 'healthcheck' ? 'the monitor' : c.channel === 'email' ? 'email' : 'the webhook'} (${c.recipient})`).join(', ')}: every import's end, a stall, the sync's failures and lag${s.notify.channels.some((c) => c.channel === 'healthcheck') ? ', and a ping at each sync run' : ''}.`}
        </p>
        {s.notify.lastPing && (
          <p className="text-sm text-slate-600" data-testid="notify-last-ping">
            The monitor&apos;s last ping: {s.notify.lastPing.subject}, {s.notify.lastPing.status === 'delivered' ? 'delivered' : `not delivered (${s.notify.lastPing.lastError ?? s.notify.lastPing.status})`} at{' '}
            {s.notify.lastPing.createdAt.slice(0, 16).replace('T', ' ')} UTC.
          </p>
        )}
        {s.notify.recent.length > 0 && <NotificationsTable notifications={s.notify.recent} withImport />}
      </section>

      <section className="space-y-2" aria-label="Sync runs">
        <h2 className="text-lg font-semibold">Runs</h2>
        {s.runs.length === 0 ? (
          <p className="text-sm text-slate-500">None yet.</p>
        ) : (
          <DataTable head={['run', 'started', 'by', 'outcome', 'from', 'plan', 'error']} testId="sync-runs">
            {s.runs.map((r) => (
              <tr key={r.id} className="border-t border-slate-100" data-testid="sync-run">
                <td className="px-3 py-2">#{r.id}</td>
                <td className="px-3 py-2 whitespace-nowrap">{when(r.startedAt)}</td>
                <td className="px-3 py-2">{r.trigger}</td>
                <td className="px-3 py-2">{r.outcome.replaceAll('_', ' ')}</td>
                <td className="px-3 py-2">{r.fromExtract ?? 'empty'}</td>
                <td className="px-3 py-2">
                  {r.plan.length === 0
                    ? 'nothing new'
                    : r.plan.map((p, i) => (
                        <span key={p.name}>
                          {i > 0 && ', '}
                          {r.jobs[p.name] ? (
                            <Link className="text-sky-700 underline underline-offset-2" href={`/imports/${r.jobs[p.name]}`}>
                              {p.number}
                            </Link>
                          ) : (
                            p.number
                          )}
                          {p.kind !== 'update' && ` (${p.kind})`}
                        </span>
                      ))}
                </td>
                <td className="px-3 py-2 text-red-800">{r.error ?? ''}</td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>
    </div>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex gap-2">
      <dt className="text-slate-500">{label}</dt>
      <dd className="font-medium">{children}</dd>
    </div>
  );
}
