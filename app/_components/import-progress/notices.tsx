'use client';

import { useEffect, useState } from 'react';
import type { DriverProblem } from './driver-pool';

/** One figure of the progress panel, with its label. */
export function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <dt className="text-xs uppercase tracking-wide text-slate-500">{label}</dt>
      <dd className="font-medium tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/** A notice: red for what stopped or failed, amber for what the operator should know. */
export function Alert({ tone, testId, children }: { tone: 'red' | 'amber'; testId: string; children: React.ReactNode }) {
  const style = tone === 'red' ? 'border-red-200 bg-red-50 text-red-800' : 'border-amber-200 bg-amber-50 text-amber-900';
  return (
    <div role={tone === 'red' ? 'alert' : 'status'} className={`rounded-md border px-3 py-2 text-sm ${style}`} data-testid={testId}>
      {children}
    </div>
  );
}

/** A transient failure being retried, with the seconds left before the next attempt. */
export function Retrying({ problem }: { problem: DriverProblem }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, []);
  return (
    <Alert tone="amber" testId="driver-retrying">
      {problem.message} Retrying in {Math.max(0, Math.ceil((problem.retryAt - now) / 1000))} s (attempt {problem.attempt + 1}).
    </Alert>
  );
}
