'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { backoffMs, didWork, nextMove, snapshotOf } from '@/lib/imports/drive/rules';
import type { DriveStep } from '@/lib/imports/drive/loop';
import type { JobStatusView } from '@/lib/imports/view/types';
import { api, ApiError, statusKey } from '../../_lib/api';

export interface DriverProblem {
  message: string;
  attempt: number;
  retryAt: number;
}

export interface DriverState {
  /** Workers calling process-batch right now. */
  workers: number;
  /** A transient failure being retried with backoff (shown, never swallowed). */
  problem: DriverProblem | null;
  /** A refusal the driver cannot get past by retrying; it stopped. */
  fatal: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WAIT_MS = 600;

/**
 * Drives a job from the browser: while the polled status says there is work (rules shared
 * with the CLI in lib/imports/drive/rules.ts), `concurrency` workers call process-batch, and one
 * calls finalize when every batch is done. The server's leases keep workers, tabs and other
 * drivers apart, so closing the tab loses nothing and two tabs are safe.
 */
export function useDriver(jobId: number, status: JobStatusView | undefined, concurrency: number) {
  const queryClient = useQueryClient();
  const pool = useRef({ desired: 0, running: 0, failures: 0, mounted: true });
  const [state, setState] = useState<DriverState>({ workers: 0, problem: null, fatal: null });
  const [kick, setKick] = useState(0);

  const drivable = status ? nextMove(snapshotOf(status, false)) !== 'stop' : false;

  // A refusal belongs to the state it met (finalize refused while the job was being paused):
  // once the job moves on (resumed, say), the driver starts again.
  const jobStatus = status?.job.status;
  useEffect(() => {
    setState((s) => (s.fatal ? { ...s, fatal: null } : s));
  }, [jobStatus]);
  const desired = drivable && !state.fatal ? concurrency : 0;

  const publish = useCallback((patch: Partial<DriverState> = {}) => {
    if (!pool.current.mounted) return;
    setState((s) => ({ ...s, workers: pool.current.running, ...patch }));
  }, []);

  /** One call, retried with backoff while the failure is transient; undefined once it is not. */
  const call = useCallback(
    async <T,>(url: string): Promise<T | undefined> => {
      const p = pool.current;
      while (p.mounted) {
        try {
          const result = await api<T>(url, { method: 'POST', body: {} });
          if (p.failures > 0) {
            p.failures = 0;
            publish({ problem: null });
          }
          return result;
        } catch (err) {
          const e = err instanceof ApiError ? err : new ApiError(String(err), 0);
          if (!e.transient) {
            publish({ fatal: e.message, problem: null });
            return undefined;
          }
          p.failures += 1;
          const wait = backoffMs(p.failures);
          publish({ problem: { message: e.message, attempt: p.failures, retryAt: Date.now() + wait } });
          await sleep(wait);
        }
      }
      return undefined;
    },
    [publish],
  );

  const worker = useCallback(async () => {
    const p = pool.current;
    try {
      while (p.mounted && p.running <= p.desired) {
        const result = await call<DriveStep>(`/api/imports/${jobId}/process-batch`);
        if (!result) return;
        const move = nextMove(snapshotOf(result.progress, didWork(result)));
        if (move === 'again') continue;
        if (move === 'wait') {
          await sleep(WAIT_MS);
          continue;
        }
        if (move === 'finalize') await call<JobStatusView>(`/api/imports/${jobId}/finalize`);
        await queryClient.invalidateQueries({ queryKey: statusKey(jobId) });
        return;
      }
    } finally {
      p.running -= 1;
      publish();
    }
  }, [call, jobId, publish, queryClient]);

  useEffect(() => {
    const p = pool.current;
    p.desired = desired;
    while (p.running < p.desired) {
      p.running += 1;
      void worker();
    }
    publish();
  }, [desired, kick, worker, publish]);

  useEffect(() => {
    const p = pool.current;
    p.mounted = true;
    return () => {
      p.mounted = false;
      p.desired = 0;
    };
  }, []);

  /** After a refusal: clear it and start again. */
  const restart = useCallback(() => {
    setState((s) => ({ ...s, fatal: null }));
    setKick((k) => k + 1);
  }, []);

  return { ...state, restart };
}
