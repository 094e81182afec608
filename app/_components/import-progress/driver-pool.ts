import { backoffMs, didWork, type JobStatusView, nextMove, snapshotOf } from '@/lib/imports/shared';
import type { DriveStep } from '@/lib/imports';
import { api, ApiError } from '../../_lib/api';

export interface DriverProblem {
  message: string;
  attempt: number;
  retryAt: number;
}

export interface DriverState {
  /** Workers calling the step route right now. */
  workers: number;
  /** A transient failure being retried with backoff (shown, never swallowed). */
  problem: DriverProblem | null;
  /** A refusal the driver cannot get past by retrying; it stopped. */
  fatal: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WAIT_MS = 600;

/**
 * The browser's workers for one job, apart from React: `drive(n)` keeps n workers calling
 * the step route while the step's progress says there is work (the rules the CLI follows,
 * lib/imports/drive/rules.ts), and one calls finalize once every batch is done. What the page
 * shows goes out through `publish`; `finished` runs when a worker sees the job through.
 */
export class DriverPool {
  private desired = 0;
  private running = 0;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly jobId: number,
    private readonly publish: (patch: Partial<DriverState>) => void,
    private readonly finished: () => Promise<void>,
  ) {}

  /** Keeps `desired` workers running (fewer end as they finish their call). */
  drive(desired: number): void {
    if (this.stopped) return;
    this.desired = desired;
    while (this.running < this.desired) {
      this.running += 1;
      void this.worker();
    }
    this.show();
  }

  /** The page went away: workers end after their call in flight, and publish nothing more. */
  stop(): void {
    this.stopped = true;
    this.desired = 0;
  }

  private show(patch: Partial<DriverState> = {}): void {
    if (!this.stopped) this.publish({ workers: this.running, ...patch });
  }

  private async worker(): Promise<void> {
    try {
      while (!this.stopped && this.running <= this.desired) {
        const result = await this.call<DriveStep>(`/api/imports/${this.jobId}/step`);
        if (!result) return;
        const move = nextMove(snapshotOf(result.progress, didWork(result)));
        if (move === 'again') continue;
        if (move === 'wait') {
          await sleep(WAIT_MS);
          continue;
        }
        if (move === 'finalize') {
          const after = await this.call<JobStatusView>(`/api/imports/${this.jobId}/finalize`);
          await this.finished();
          // Completed with work after it (statistics, the change list, deferred indexes): carry
          // on stepping. The page's wish for workers has not changed since the batches, so
          // nothing else would start them again, and the change list stayed half worked out.
          if (after && nextMove(snapshotOf(after, true)) === 'again') continue;
          return;
        }
        await this.finished();
        return;
      }
    } finally {
      this.running -= 1;
      this.show();
    }
  }

  /** One call, retried with backoff while the failure is transient; undefined once it is not. */
  private async call<T>(url: string): Promise<T | undefined> {
    while (!this.stopped) {
      try {
        const result = await api<T>(url, { method: 'POST', body: {} });
        if (this.failures > 0) {
          this.failures = 0;
          this.show({ problem: null });
        }
        return result;
      } catch (err) {
        const e = err instanceof ApiError ? err : new ApiError(String(err), 0);
        if (!e.transient) {
          this.show({ fatal: e.message, problem: null });
          return undefined;
        }
        this.failures += 1;
        const wait = backoffMs(this.failures);
        this.show({ problem: { message: e.message, attempt: this.failures, retryAt: Date.now() + wait } });
        await sleep(wait);
      }
    }
    return undefined;
  }
}
