import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addDays, generateSeries, prng, RegisterModel, zipExtract } from '../lib/generator';
import { ATTEMPT, BATCH, driveImport, JOB, type JobStatus, patiently, prepareImport } from '../lib/imports';
import { tableChecksums, type TableChecksum } from '../lib/db/checksums';
import { applyMigrations, closeDb, createSql, databaseUrl, resolveDatabaseUrl, type Sql } from '../lib/db/client';
import { parentOf, startOwnPostgres, type OwnPostgres } from '../lib/db/embedded';

/**
 * The kill test. Imports a generated FULL and several UPDATEs with CLI drivers (two at once
 * on each file) while SIGKILLing them at random moments, restarting them until each file is
 * imported; the database they write to is a PostgreSQL of its own, whose postmaster and
 * backends are SIGKILLed too at random moments (mid-prepare, mid-batch, mid-undo) and
 * restarted, a crash its recovery must survive. Then compares every register table, current
 * and historical rows, with an uninterrupted import of the same files, by per-table
 * checksums, and checks the batch log shows each batch applied exactly once. Then rolls the
 * last imports back, newest first, under the same kills, and compares with the reference as
 * it stood before them. Exits non-zero on any difference.
 */

const usage =
  'usage: npm run test:chaos -- [--enterprises N] [--updates K] [--kills MIN] [--pg-kills MIN] [--drivers D] [--rollbacks R] [--seed S] [--pg-port P]';

interface Round {
  label: string;
  driver: number;
  killed: boolean;
  code: number | null;
  output: string;
}

function startDriver(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; active: Promise<void> } {
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

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      enterprises: { type: 'string', default: '6000' },
      updates: { type: 'string', default: '12' },
      kills: { type: 'string', default: '20' },
      drivers: { type: 'string', default: '2' },
      seed: { type: 'string', default: '11' },
      rollbacks: { type: 'string', default: '3' },
      'pg-kills': { type: 'string', default: '6' },
      'pg-port': { type: 'string', default: '54339' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const enterprises = Number(values.enterprises);
  const updates = Number(values.updates);
  const minKills = Number(values.kills);
  const drivers = Number(values.drivers);
  const seed = Number(values.seed);
  const rollbacks = Number(values.rollbacks);
  const minPgKills = Number(values['pg-kills']);
  const rnd = prng(seed * 7919);

  // The reference (uninterrupted) on the usual server; the chaos database on a server of its
  // own, which is killed and restarted.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbo-chaos-'));
  await chmod(dir, 0o755); // as root, the server runs as `postgres`, which must reach its data directory
  const server = await resolveDatabaseUrl();
  const admin = createSql(server, 1);
  await admin`drop database if exists kbo_chaos_reference with (force)`;
  await admin`create database kbo_chaos_reference`;
  await admin.end();
  stopLeftover(Number(values['pg-port']));
  const pg = await startOwnPostgres({ dataDir: path.join(dir, 'pg'), port: Number(values['pg-port']) });
  // However the run ends, its server and files go with it.
  process.once('exit', () => {
    const pid = pg.pid();
    if (pid) stopLeftover(Number(values['pg-port']));
    rmSync(dir, { recursive: true, force: true });
  });
  const ownAdmin = createSql(pg.url(), 1);
  await ownAdmin`create database kbo_chaos`;
  await ownAdmin.end();
  const urls = { ref: databaseUrl(server, 'kbo_chaos_reference'), chaos: pg.url('kbo_chaos') };
  await applyMigrations(urls.ref);
  await applyMigrations(urls.chaos);

  const files: string[] = [];
  let last: RegisterModel | undefined;
  for (const { model, extract } of generateSeries({ enterprises, updates, base: 146, seed })) {
    const file = path.join(dir, extract.fileName);
    await writeFile(file, await zipExtract(extract));
    files.push(file);
    last = model;
  }
  // Then an extract is missed and rows drift upstream: the next FULL resyncs (its batches are
  // key ranges, under the same fire, and it is among the imports rolled back).
  const model = last as RegisterModel;
  model.drift(0.02);
  const resync = model.snapshot(146 + updates + 2, addDays('2025-01-01', updates + 2));
  files.push(path.join(dir, resync.fileName));
  await writeFile(files.at(-1) as string, await zipExtract(resync));
  console.log(
    `chaos: ${files.length} files (FULL of ${enterprises} enterprises + ${updates} UPDATEs + a resync FULL), ${drivers} CLI drivers per file, at least ${minKills} kills`,
  );

  // The reference: the same files, one after the other, nobody killed, default batch size. Its
  // state before the last `rollbacks` files is what rolling those back must return to.
  const started = Date.now();
  const refSql = createSql(urls.ref, 10);
  const refDb = refSql;
  const { readFile } = await import('node:fs/promises');
  let beforeLast: Record<string, TableChecksum> | undefined;
  for (const [i, file] of files.entries()) {
    if (i === files.length - rollbacks) beforeLast = await tableChecksums(refSql, { ids: false });
    const prepared = await prepareImport(refDb, { fileName: path.basename(file), data: await readFile(file) });
    const done = await driveImport(refDb, { jobId: prepared.job.id, concurrency: 2 });
    if (done.job.status !== JOB.completed) throw new Error(`reference import of ${file} ended ${done.job.status}`);
  }
  console.log(`reference: imported uninterrupted in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // The chaos run: small batches and short leases, so kills land mid-batch and dead leases expire soon.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: urls.chaos,
    IMPORT_BATCH_SIZE: '300',
    IMPORT_LEASE_SECONDS: '5',
    IMPORT_BATCH_BUDGET_MS: '500',
    IMPORT_UNDO_CHUNK_ROWS: '100',
  };
  const rounds: Round[] = [];
  let kills = 0;
  const chaosSql = createSql(urls.chaos, 2);
  // The checker's own reads wait out the server's restarts as the drivers do.
  const patience = { maxWaitMs: 120_000 };
  const crash = new PostgresCrasher(pg, chaosSql);

  /** Runs `drivers` CLIs with `args` at once, killing them at random, round after round, until `done`. */
  /** `crashAt`: in the first round, crash PostgreSQL as soon as a job is in this status (mid-prepare, mid-batch, mid-undo). */
  async function underFire(label: string, args: string[], done: () => Promise<boolean>, minChance = 0.15, crashAt?: JobStatus): Promise<void> {
    for (let round = 1; ; round++) {
      if (round > 200) throw new Error(`${label} did not finish in 200 rounds`);
      // Kill often until the quota is met (with room to spare), then rarely, so the run ends.
      const killChance = kills < minKills * 1.5 ? 0.85 : minChance;
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
      rounds.push(...results);
      kills += results.filter((r) => r.killed).length;
      for (const r of results) {
        const fine = r.killed || r.code === 0 || /already imported as import/.test(r.output);
        if (!fine) throw new Error(`driver ${r.driver} of ${r.label} failed (exit ${r.code}):\n${r.output}`);
      }
      await crash.settled();
      // Done even if the driver that finished was killed before it could exit.
      if (await patiently(patience, done)) {
        console.log(`  ${label}: done in round ${round}; kills so far ${kills}`);
        return;
      }
    }
  }

  const chaosStarted = Date.now();
  for (const [i, file] of files.entries()) {
    const name = path.basename(file);
    const isResync = file === files.at(-1);
    await underFire(
      name,
      [file, '--concurrency', '3'],
      async () => {
        const [r] = await chaosSql<{ n: number }[]>`select count(*)::int as n from import_jobs where file_name = ${name} and status = ${JOB.completed}`;
        return r?.n === 1;
      },
      isResync ? 0.6 : undefined, // the resync is killed often whatever the count
      // PostgreSQL crashes in the FULL's prepare, the resync's, and in the batches of a third of the UPDATEs at least.
      file === files[0] || isResync ? JOB.preparing : i % 3 === 1 ? JOB.running : undefined,
    );
  }
  const chaosSeconds = (Date.now() - chaosStarted) / 1000;

  // Compare, table by table, every row (ids aside: parallel drivers insert in another order).
  const ref = await tableChecksums(refSql, { ids: false });
  const afterImports = compare('after every import', ref, await patiently(patience, () => tableChecksums(chaosSql, { ids: false })));
  const log = await patiently(patience, () => batchLog(chaosSql));
  console.log(
    `\nkills: ${kills} (SIGKILL) over ${rounds.length} driver runs in ${chaosSeconds.toFixed(1)} s; ` +
      `jobs: ${log.completedJobs} completed, ${log.failedJobs} failed`,
  );
  console.log(
    `batch log: ${log.batches} batches, ${log.notOnce} not applied exactly once; attempts: ${log.attempts} ` +
      `(${log.leaseLost} lost their lease, ${log.retried} retried, ${log.released} handed back); batches taken over after a lease expired: ${log.reclaimed}`,
  );

  // Then roll the last imports back, newest first, under the same fire.
  const killsBefore = kills;
  const latest = await chaosSql<{ id: number; file_name: string }[]>`
    select id, file_name from import_jobs where status = ${JOB.completed} order by id desc limit ${rollbacks}`;
  for (const [i, job] of latest.entries()) {
    await underFire(
      `rollback of #${job.id} (${job.file_name})`,
      ['rollback', String(job.id), '--concurrency', '2'],
      async () => {
        const [r] = await chaosSql<{ status: string }[]>`select status from import_jobs where id = ${job.id}`;
        return r?.status === JOB.rolled_back;
      },
      0.6,
      i === 0 ? JOB.rolling_back : undefined, // PostgreSQL crashes mid-undo at least once
    );
  }
  const afterRollbacks = compare(
    `after rolling back the last ${rollbacks}`,
    beforeLast as Record<string, TableChecksum>,
    await patiently(patience, () => tableChecksums(chaosSql, { ids: false })),
  );
  const finalLog = await patiently(patience, () => batchLog(chaosSql));
  console.log(`\nrollback kills: ${kills - killsBefore}`);
  console.log(`PostgreSQL kills survived: ${crash.count} (SIGKILL of the postmaster and every backend, then crash recovery); the job they hit was ${crash.summary()}`);
  const lost = afterImports.lost + afterRollbacks.lost;
  const different = afterImports.different + afterRollbacks.different;
  console.log(`rows lost: ${lost}; tables different: ${different}; batches not applied exactly once: ${finalLog.notOnce}`);

  await chaosSql.end();
  await refSql.end();
  await closeDb();
  await pg.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  const ok = different === 0 && lost === 0 && log.notOnce === 0 && finalLog.notOnce === 0 && kills >= minKills && crash.count >= minPgKills;
  console.log(ok ? 'chaos: PASS' : 'chaos: FAIL');
  return ok ? 0 : 1;
}

/**
 * Crashes the dedicated PostgreSQL: SIGKILLs the postmaster and all its backends at once (as
 * a power cut would leave them), then starts it again, which runs crash recovery. Records
 * what the newest job was doing when it happened.
 */
class PostgresCrasher {
  count = 0;
  private readonly during = new Map<string, number>();
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly pg: OwnPostgres,
    private readonly sql: Sql,
  ) {}

  /** Crashes it `delayMs` after `begun`, after any crash scheduled before. */
  schedule(label: string, begun: Promise<void>, delayMs: number): void {
    this.pending = this.pending
      .then(() => begun)
      .then(() => new Promise((r) => setTimeout(r, delayMs)))
      .then(() => this.crash(label));
  }

  /**
   * Crashes it as soon as a job is in `status` (for `running`, once a batch of it completed,
   * so the crash lands between batches applied and batches to come), unless the round is
   * `over` first.
   */
  when(label: string, status: JobStatus, over: Promise<void>): void {
    let ended = false;
    void over.then(() => (ended = true));
    this.pending = this.pending.then(async () => {
      while (!ended) {
        const [hit] = await this.sql`
          select 1 from import_jobs j where j.status = ${status}
            and (j.status <> ${JOB.running} or exists (select 1 from import_job_batches b where b.job_id = j.id and b.status = ${BATCH.completed}))
          limit 1`.catch(() => []);
        if (hit) return this.crash(label);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  }

  /** Waits for every crash scheduled to be over (the server up again). */
  settled(): Promise<void> {
    return this.pending;
  }

  private async crash(label: string): Promise<void> {
    const pid = this.pg.pid();
    if (!pid) return;
    const [job] = await this.sql<{ status: string }[]>`select status from import_jobs order by id desc limit 1`.catch(() => []);
    const backends = childrenOf(pid);
    for (const p of [pid, ...backends]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    this.count++;
    const what = job?.status ?? 'none';
    this.during.set(what, (this.during.get(what) ?? 0) + 1);
    console.log(`  PostgreSQL killed (${label}, job ${what}, ${backends.length} backends)`);
    await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 1_200)));
    await this.pg.restart();
  }

  summary(): string {
    return [...this.during].map(([status, n]) => `${status} ${n}`).join(', ') || 'none';
  }
}

/** SIGKILLs a dedicated server an earlier run left on `port` (its data directory under kbo-chaos-), and its backends. */
function stopLeftover(port: number): void {
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
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry) && parentOf(Number(entry)) === pid)
    .map(Number);
}

/** Prints one table of per-table checksums side by side; returns what differs. */
function compare(title: string, ref: Record<string, TableChecksum>, got: Record<string, TableChecksum>): { lost: number; different: number } {
  let lost = 0;
  let different = 0;
  console.log(`\n${title}:\ntable            reference rows  chaos rows  reference md5                     chaos md5                         equal`);
  for (const table of Object.keys(ref)) {
    const a = ref[table] as TableChecksum;
    const b = got[table] as TableChecksum;
    const equal = a.rows === b.rows && a.md5 === b.md5;
    if (!equal) different++;
    lost += Math.max(0, a.rows - b.rows);
    console.log(`${table.padEnd(16)} ${String(a.rows).padStart(14)}  ${String(b.rows).padStart(10)}  ${a.md5}  ${b.md5}  ${equal ? 'yes' : 'NO'}`);
  }
  return { lost, different };
}

async function batchLog(sql: Sql) {
  const [r] = await sql<
    { batches: number; not_once: number; attempts: number; lease_lost: number; retried: number; released: number; reclaimed: number; completed_jobs: number; failed_jobs: number }[]
  >`
    select
      (select count(*) from import_job_batches)::int as batches,
      (select count(*) from (
         select b.id from import_job_batches b left join import_batch_attempts a on a.batch_id = b.id and a.outcome = ${ATTEMPT.completed}
         group by b.id having count(a.id) <> 1) x)::int as not_once,
      (select count(*) from import_batch_attempts)::int as attempts,
      (select count(*) from import_batch_attempts where outcome = ${ATTEMPT.lease_lost})::int as lease_lost,
      (select count(*) from import_batch_attempts where outcome = ${ATTEMPT.retried})::int as retried,
      (select count(*) from import_batch_attempts where outcome = ${ATTEMPT.released})::int as released,
      (select count(*) from import_job_batches where attempts > 1)::int as reclaimed,
      (select count(*) from import_jobs where status = ${JOB.completed})::int as completed_jobs,
      (select count(*) from import_jobs where status = ${JOB.failed})::int as failed_jobs`;
  const v = r as NonNullable<typeof r>;
  return {
    batches: v.batches,
    notOnce: v.not_once,
    attempts: v.attempts,
    leaseLost: v.lease_lost,
    retried: v.retried,
    released: v.released,
    reclaimed: v.reclaimed,
    completedJobs: v.completed_jobs,
    failedJobs: v.failed_jobs,
  };
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
