/** The chaos test's CLI drivers: `scripts/import.ts` in a child process, watched until it starts real work, and each run's record. */
import { spawn, type ChildProcess } from 'node:child_process';

/** One driver's run in a round: whether it was killed, how it exited, what it printed. */
export interface Round {
  label: string;
  driver: number;
  killed: boolean;
  code: number | null;
  output: string;
}

export function startDriver(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; active: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  let markActive: () => void = () => {};
  const active = new Promise<void>((resolve) => (markActive = resolve));
  const take = (chunk: Buffer) => {
    text += chunk.toString();
    // It has begun real work (preparing, or carrying an import on).
    if (/preparing|resuming|prepared|still preparing|rollback…/.test(text)) markActive();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return { child, output: () => text, active };
}

/** The exit code of `child` once it has exited (null when a signal ended it). */
export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
