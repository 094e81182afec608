import { isDatabaseUnavailable } from '../../db/unavailable';
import { backoffMs } from './rules';

/** How a headless driver waits out a database that went away (restarting, say). */
export interface Patience {
  /** Give up once the database has been away this long, in ms. */
  maxWaitMs: number;
  /** Told before each wait: how long, which attempt, and the error that said so. */
  onWait?: (waitMs: number, attempt: number, err: unknown) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn`; while it fails because the database cannot be reached, waits (0.5 s doubling to
 * 5 s) and runs it again, up to `maxWaitMs` in all. Any other error, and that one past the
 * limit, is thrown. Only for calls that are safe to repeat: every verb of the engine is, as a
 * step commits whole or not at all. Without `patience`, `fn` runs once.
 */
export async function patiently<T>(patience: Patience | undefined, fn: () => Promise<T>): Promise<T> {
  if (!patience) return fn();
  let since: number | null = null;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      since ??= Date.now();
      const wait = Math.min(backoffMs(attempt, 500, 5_000), since + patience.maxWaitMs - Date.now());
      if (wait <= 0) throw err;
      patience.onWait?.(wait, attempt, err);
      await sleep(wait);
    }
  }
}
