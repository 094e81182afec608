/** The chaos test's fire: rounds of CLI drivers at once, SIGKILLed at random and PostgreSQL crashed under them, until the work is done. */
import { patiently, type JobStatus, type Patience } from '../../lib/imports';
import type { PostgresCrasher } from './crasher';
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

  /**
   * Runs `drivers` CLIs with `args` at once, killing them at random, round after round, until `done`.
   * `crashAt`: in the first round, crash PostgreSQL as soon as a job is in this status (mid-prepare, mid-batch, mid-undo).
   */
  async underFire(label: string, args: string[], done: () => Promise<boolean>, minChance = 0.15, crashAt?: JobStatus): Promise<void> {
    const { drivers, minKills, minPgKills, env, rnd, crash, patience } = this.o;
    for (let round = 1; ; round++) {
      if (round > 200) throw new Error(`${label} did not finish in 200 rounds`);
      // Kill often until the quota is met (with room to spare), then rarely, so the run ends.
      const killChance = this.kills < minKills * 1.5 ? 0.85 : minChance;
      const running = Array.from({ length: drivers }, () => startDriver(args, env));
      // Crash PostgreSQL itself now and then while the drivers work (always in a first round asked to).
      const pgChance = crash.count < minPgKills * 1.5 ? 0.45 : 0.08;
      const over = Promise.all(running.map((d) => exited(d.child))).then(() => undefined);
      if (crashAt && round === 1) crash.when(label, crashAt, over);
      else if (rnd() < pgChance) {
        // Once a driver is at work (or all have exited, for a round with nothing to do).
        const begun = Promise.race([...running.map((d) => d.active), over]);
        crash.schedule(label, begun, 100 + Math.floor(rnd() * 1_200));
      }
      const results = await Promise.all(
        running.map(async (d, i) => {
          let killed = false;
          if (rnd() < killChance) {
            const delay = 30 + Math.floor(rnd() * 700);
            void d.active.then(() =>
              setTimeout(() => {
                if (d.child.exitCode === null && d.child.signalCode === null) killed = d.child.kill('SIGKILL');
              }, delay),
            );
          }
          const code = await exited(d.child);
          return { label, driver: i, killed: killed && d.child.signalCode === 'SIGKILL', code, output: d.output() } satisfies Round;
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
}
