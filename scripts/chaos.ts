import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { addDays, generateSeries, prng, RegisterModel, zipExtract } from '../lib/datasets/generator';
import { tableChecksums, type TableChecksum } from '../lib/db/checksums';
import { applyMigrations, closeDb, createDb, createSql, databaseUrl, resolveDatabaseUrl, type Sql } from '../lib/db/client';
import { driveImport } from '../lib/imports/drive/loop';
import { prepareImport } from '../lib/imports/drive/prepare';
import { ATTEMPT, JOB } from '../lib/imports/state/machine';

/**
 * The kill test. Imports a generated FULL and several UPDATEs with CLI drivers (two at once
 * on each file) while SIGKILLing them at random moments, restarting them until each file is
 * imported; then compares every register table, current and historical rows, with an
 * uninterrupted import of the same files, by per-table checksums, and checks the batch log
 * shows each batch applied exactly once. Then rolls the last imports back, newest first, under
 * the same kills, and compares with the reference as it stood before them. Exits non-zero on
 * any difference.
 */

const usage = 'usage: npm run test:chaos -- [--enterprises N] [--updates K] [--kills MIN] [--drivers D] [--rollbacks R] [--seed S]';

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
  const rnd = prng(seed * 7919);

  // Two databases on the same server: the reference (uninterrupted) and the chaos one.
  const server = await resolveDatabaseUrl();
  const admin = createSql(server, 1);
  const names = { ref: 'kbo_chaos_reference', chaos: 'kbo_chaos' };
  for (const name of Object.values(names)) {
    await admin`drop database if exists ${admin(name)} with (force)`;
    await admin`create database ${admin(name)}`;
  }
  await admin.end();
  const urls = { ref: databaseUrl(server, names.ref), chaos: databaseUrl(server, names.chaos) };
  await applyMigrations(urls.ref);
  await applyMigrations(urls.chaos);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'kbo-chaos-'));
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
  const refDb = createDb(refSql);
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

  /** Runs `drivers` CLIs with `args` at once, killing them at random, round after round, until `done`. */
  async function underFire(label: string, args: string[], done: () => Promise<boolean>, minChance = 0.15): Promise<void> {
    for (let round = 1; ; round++) {
      if (round > 200) throw new Error(`${label} did not finish in 200 rounds`);
      // Kill often until the quota is met (with room to spare), then rarely, so the run ends.
      const killChance = kills < minKills * 1.5 ? 0.85 : minChance;
      const running = Array.from({ length: drivers }, () => startDriver(args, env));
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
      // Done even if the driver that finished was killed before it could exit.
      if (await done()) {
        console.log(`  ${label}: done in round ${round}; kills so far ${kills}`);
        return;
      }
    }
  }

  const chaosStarted = Date.now();
  for (const file of files) {
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
    );
  }
  const chaosSeconds = (Date.now() - chaosStarted) / 1000;

  // Compare, table by table, every row (ids aside: parallel drivers insert in another order).
  const ref = await tableChecksums(refSql, { ids: false });
  const afterImports = compare('after every import', ref, await tableChecksums(chaosSql, { ids: false }));
  const log = await batchLog(chaosSql);
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
  for (const job of latest) {
    await underFire(`rollback of #${job.id} (${job.file_name})`, ['rollback', String(job.id), '--concurrency', '2'], async () => {
      const [r] = await chaosSql<{ status: string }[]>`select status from import_jobs where id = ${job.id}`;
      return r?.status === JOB.rolled_back;
    }, 0.6);
  }
  const afterRollbacks = compare(`after rolling back the last ${rollbacks}`, beforeLast as Record<string, TableChecksum>, await tableChecksums(chaosSql, { ids: false }));
  console.log(`\nrollback kills: ${kills - killsBefore}`);
  const lost = afterImports.lost + afterRollbacks.lost;
  const different = afterImports.different + afterRollbacks.different;
  console.log(`rows lost: ${lost}; tables different: ${different}`);

  await chaosSql.end();
  await refSql.end();
  await closeDb();
  await rm(dir, { recursive: true, force: true });
  const ok = different === 0 && lost === 0 && log.notOnce === 0 && kills >= minKills;
  console.log(ok ? 'chaos: PASS' : 'chaos: FAIL');
  return ok ? 0 : 1;
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
