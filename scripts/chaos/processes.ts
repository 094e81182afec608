/** Processes seen through /proc: a postmaster's children, and the dedicated server an earlier chaos run left behind. */
import { readdirSync, readFileSync } from 'node:fs';
import { parentOf } from '../../lib/db/embedded';

/** SIGKILLs a dedicated server an earlier run left on `port` (its data directory under kbo-chaos-), and its backends. */
export function stopLeftover(port: number): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string[];
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = cmd.indexOf('-p');
    const dataDir = cmd[cmd.indexOf('-D') + 1] ?? '';
    if (!/\/postgres$/.test(cmd[0] ?? '') || cmd[at + 1] !== String(port) || !dataDir.includes('kbo-chaos-')) continue;
    for (const pid of [Number(entry), ...childrenOf(Number(entry))]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

/** The pids whose parent is `pid` (a postmaster's backends and helpers). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && parentOf(Number(entry)) === pid)
    .map(Number);
}
