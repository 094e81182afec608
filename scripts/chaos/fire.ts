/** The chaos test's fire: rounds of CLI drivers at once, SIGKILLed at random and PostgreSQL crashed under them, until the work is done. */
import { patiently, type JobStatus, type Patience } from '../../lib/imports';
import type { Phase, PostgresCrasher } from './crasher';
import { exited, startDriver, type Round } from './drivers';

export interface FireOptions {
  /** CLI drivers per round. */
  drivers: number;
  /** Driver kills and PostgreSQL crashes to reach before killing becomes rare. */
  minKills: number;
  minPgKills: number;
  /** The drivers' environment (the chaos database, small batches, short leases). */
  env: NodeJS.ProcessEnv;
  /** The run's seeded random numbers. */
  rnd: () => number;
  crash: PostgresCrasher;
  /** How long the checks wait out the server's restarts. */
  patience: Patience;
}

/** Every driver run so far, and how many of them were killed. */
export class Fire {
  readonly rounds: Round[] = [];
  kills = 0;

  constructor(private readonly o: FireOptions) {}

  /** Drivers killed, and PostgreSQL crashes, while a FULL's deferred indexes were being built. */
  readonly duringBuilds = { kills: 0, crashes: 0 };
  /** The same while an import's watchlists were being matched. */
  readonly duringMatching = { kills: 0, crashes: 0 };

  /**
   * Runs `drivers` CLIs with `args` at once, killing them at random, round after round, until `done`.
   * `crashAt`: crash PostgreSQL as soon as a job is in each of these statuses, in turn (mid-prepare,
   * mid-batch, mid-undo, `indexing`: mid-build, `matching`: mid-match), from the first round until each was hit. While
   * `indexing` or `matching` is among them, the round's drivers are also all killed then, once.
   */
  async underFire(label: string, args: string[], done: () => Promise<boolean>, minChance = 0.15, crashAt: (JobStatus | Phase)[] = []): Promise<void> {
    const { drivers, minKills, minPgKills, env, rnd, crash, patience } = this.o;
    const crashes = [...crashAt];
    let killMidBuild = crashAt.includes('indexing');
    let killMidMatch = crashAt.includes('matching');
    for (let round = 1; ; round++) {
      if (round > 200) throw new Error(`${label} did not finish in 200 rounds`);
      // Kill often until the quota is met (with room to spare), then rarely, so the run ends.
      const killChance = this.kills < minKills * 1.5 ? 0.85 : minChance;
      const running = Array.from({ length: drivers }, () => startDriver(args, env));
      // Crash PostgreSQL itself now and then while the drivers work (always in a first round asked to).
      const pgChance = crash.count < minPgKills * 1.5 ? 0.45 : 0.08;
      const over = Promise.all(running.map((d) => exited(d.child))).then(() => undefined);
      if (crashes.length > 0) void this.crashInTurn(label, crashes, over);
      else if (rnd() < pgChance) {
        // Once a driver is at work (or all have exited, for a round with nothing to do).
        const begun = Promise.race([...running.map((d) => d.active), over]);
        crash.schedule(label, begun, 100 + Math.floor(rnd() * 1_200));
      }
      if (killMidBuild) void this.killMid('indexing', running, over).then((n) => (killMidBuild = n === 0));
      if (killMidMatch) void this.killMid('matching', running, over).then((n) => (killMidMatch = n === 0));
      const results = await Promise.all(
        running.map(async (d, i) => {
          if (rnd() < killChance) {
            const delay = 30 + Math.floor(rnd() * 700);
            void d.active.then(() =>
              setTimeout(() => {
                if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
              }, delay),
            );
          }
          const code = await exited(d.child);
          // Only this test sends SIGKILL: at random here, or mid-build (killMidBuild).
          return { label, driver: i, killed: d.child.signalCode === 'SIGKILL', code, output: d.output() } satisfies Round;
        }),
      );
      this.rounds.push(...results);
      this.kills += results.filter((r) => r.killed).length;
      for (const r of results) {
        const fine = r.killed || r.code === 0 || /already imported as import/.test(r.output);
        if (!fine) throw new Error(`driver ${r.driver} of ${r.label} failed (exit ${r.code}):\n${r.output}`);
      }
      await crash.settled();
      // Done even if the driver that finished was killed before it could exit.
      if (await patiently(patience, done)) {
        console.log(`  ${label}: done in round ${round}; kills so far ${this.kills}`);
        return;
      }
    }
  }

  /** Crashes PostgreSQL at each status of `left` in turn, taking each off the list once hit. */
  private async crashInTurn(label: string, left: (JobStatus | Phase)[], over: Promise<void>): Promise<void> {
    while (left.length > 0) {
      const status = left[0] as JobStatus | Phase;
      if (!(await this.o.crash.when(label, status, over))) return;
      left.shift();
      if (status === 'indexing') this.duringBuilds.crashes++;
      if (status === 'matching') this.duringMatching.crashes++;
    }
  }

  /** SIGKILLs every driver of the round still running as soon as indexes are being built, or watchlists matched; returns how many. */
  private async killMid(phase: Phase, running: { child: import('node:child_process').ChildProcess }[], over: Promise<void>): Promise<number> {
    if (!(await this.o.crash.waitFor(phase, over))) return 0;
    const killed = running.filter((d) => d.child.exitCode === null && d.child.signalCode === null && d.child.kill('SIGKILL')).length;
    (phase === 'indexing' ? this.duringBuilds : this.duringMatching).kills += killed;
    return killed;
  }
}
