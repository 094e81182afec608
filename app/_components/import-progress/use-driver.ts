'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type JobStatusView, nextMove, snapshotOf } from '@/lib/imports/shared';
import { statusKey } from '../../_lib/api';
import { DriverPool, type DriverState } from './driver-pool';

export type { DriverProblem, DriverState } from './driver-pool';

/**
 * Drives a job from the browser: while the polled status says there is work, `concurrency`
 * workers of a DriverPool call the step route, and one calls finalize when every batch is done.
 * The server's leases keep workers, tabs and other drivers apart, so closing the tab loses
 * nothing and two tabs are safe.
 */
export function useDriver(jobId: number, status: JobStatusView | undefined, concurrency: number) {
  const queryClient = useQueryClient();
  const [state, setState] = useState<DriverState>({ workers: 0, problem: null, fatal: null });
  const [kick, setKick] = useState(0);
  const pool = useRef<DriverPool | null>(null);

  // A refusal belongs to the state it met (finalize refused while the job was being paused):
  // once the job moves on (resumed, say), the driver starts again.
  const jobStatus = status?.job.status;
  const [metDuring, setMetDuring] = useState(jobStatus);
  if (metDuring !== jobStatus) {
    setMetDuring(jobStatus);
    if (state.fatal) setState({ ...state, fatal: null });
  }

  const drivable = status ? nextMove(snapshotOf(status, false)) !== 'stop' : false;
  const desired = drivable && !state.fatal ? concurrency : 0;

  useEffect(() => {
    const p = new DriverPool(
      jobId,
      (patch) => setState((s) => ({ ...s, ...patch })),
      () => queryClient.invalidateQueries({ queryKey: statusKey(jobId) }),
    );
    pool.current = p;
    return () => p.stop();
  }, [jobId, queryClient]);

  useEffect(() => {
    pool.current?.drive(desired);
  }, [desired, kick]);

  /** After a refusal: clear it and start again. */
  const restart = useCallback(() => {
    setState((s) => ({ ...s, fatal: null }));
    setKick((k) => k + 1);
  }, []);

  return { ...state, restart };
}
