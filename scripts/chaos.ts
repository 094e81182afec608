import { rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { prng } from '../lib/generator';
import { JOB, patiently } from '../lib/imports';
import { tableChecksums, type TableChecksum } from '../lib/db/checksums';
import { closeDb, createSql } from '../lib/db/client';
import { batchLog, compare, indexState } from './chaos/checks';
import { PostgresCrasher } from './chaos/crasher';
import { startDatabases } from './chaos/databases';
import { Fire } from './chaos/fire';
import { importReference, writeExtracts } from './chaos/reference';
import { digestsOnce, makeWatchlists, matchChecksum, matchGroups, matchingLeft, startReceiver } from './chaos/watch';

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
  // The digests go to a receiver here (sent by this process, as the cron would).
  process.env.WATCH_WEBHOOK_ALLOW_HOSTS = '127.0.0.1';
  const receiver = await startReceiver();

  // The reference (uninterrupted) on the usual server; the chaos database on a server of its
  // own, which is killed and restarted.
  const { dir, pg, urls } = await startDatabases(Number(values['pg-port']));
  const files = await writeExtracts(dir, { enterprises, updates, seed });
  console.log(
    `chaos: ${files.length} files (FULL of ${enterprises} enterprises + ${updates} UPDATEs + a resync FULL), ${drivers} CLI drivers per file, at least ${minKills} kills`,
  );

  // Its state before the last `rollbacks` files is what rolling those back must return to.
  const refSql = createSql(urls.ref, 10);
  // The same watchlists in both, before the FULL: every import is matched, under fire in the chaos database.
  const chaosSql = createSql(urls.chaos, 2);
  const secrets = await makeWatchlists([refSql, chaosSql], { enterprises, seed, hook: receiver.url });
  const beforeLast = await importReference(refSql, files, rollbacks);

  // The chaos run: small batches and short leases, so kills land mid-batch and dead leases expire soon.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: urls.chaos,
    IMPORT_BATCH_SIZE: '300',
    IMPORT_LEASE_SECONDS: '5',
    IMPORT_BATCH_BUDGET_MS: '500',
    IMPORT_UNDO_CHUNK_ROWS: '100',
    // The FULL loads first and builds its indexes after, so kills land mid-build too.
    IMPORT_DEFER_INDEXES_MB: '0',
    // Watchlists matched in many small parts, so kills land mid-match.
    WATCH_PART_SIZE: '300',
  };
  // The checker's own reads wait out the server's restarts as the drivers do.
  const patience = { maxWaitMs: 120_000 };
  const crash = new PostgresCrasher(pg, chaosSql);
  const fire = new Fire({ drivers, minKills, minPgKills, env, rnd, crash, patience });

  const chaosStarted = Date.now();
  for (const [i, file] of files.entries()) {
    const name = path.basename(file);
    const isResync = file === files.at(-1);
    await fire.underFire(
      name,
      [file, '--concurrency', '3'],
      async () => {
        const [r] = await chaosSql<{ n: number }[]>`
          select count(*)::int as n from import_jobs
          where file_name = ${name} and status = ${JOB.completed} and not exists (select 1 from import_jobs where indexing)`;
        return r?.n === 1 && !(await matchingLeft(chaosSql));
      },
      isResync ? 0.6 : undefined, // the resync is killed often whatever the count
      // PostgreSQL crashes in the FULL's prepare and its index builds (its drivers are killed
      // there too), in the resync's prepare, and in the batches of a third of the UPDATEs at least.
      // And in the matching of another third, its drivers all killed there too.
      file === files[0] ? [JOB.preparing, 'indexing'] : isResync ? [JOB.preparing] : i % 3 === 1 ? [JOB.running] : i % 3 === 2 ? ['matching'] : [],
    );
  }
  const chaosSeconds = (Date.now() - chaosStarted) / 1000;

  // Compare, table by table, every row (ids aside: parallel drivers insert in another order).
  const ref = await tableChecksums(refSql, { ids: false });
  const afterImports = compare('after every import', ref, await patiently(patience, () => tableChecksums(chaosSql, { ids: false })));
  const log = await patiently(patience, () => batchLog(chaosSql));
  console.log(
    `\nkills: ${fire.kills} (SIGKILL) over ${fire.rounds.length} driver runs in ${chaosSeconds.toFixed(1)} s; ` +
      `jobs: ${log.completedJobs} completed, ${log.failedJobs} failed`,
  );
  console.log(
    `batch log: ${log.batches} batches, ${log.notOnce} not applied exactly once; attempts: ${log.attempts} ` +
      `(${log.leaseLost} lost their lease, ${log.retried} retried, ${log.released} handed back); batches taken over after a lease expired: ${log.reclaimed}`,
  );

  // Every watchlist's matches as the uninterrupted import made them, and one signed digest per
  // watchlist and import, whatever was killed mid-match.
  const refMatches = await matchChecksum(refSql);
  const chaosMatches = await patiently(patience, () => matchChecksum(chaosSql));
  const matchesEqual = refMatches.rows > 0 && refMatches.rows === chaosMatches.rows && refMatches.md5 === chaosMatches.md5;
  if (!matchesEqual) {
    const [a, b] = [await matchGroups(refSql), await patiently(patience, () => matchGroups(chaosSql))];
    for (const k of new Set([...a.keys(), ...b.keys()])) if (a.get(k) !== b.get(k)) console.log(`  matches differ: ${k}`);
  }
  const digests = await patiently(patience, () => digestsOnce(chaosSql, receiver, secrets));
  console.log(
    `watchlists: ${chaosMatches.rows} matches (reference ${refMatches.rows}), ${matchesEqual ? 'equal' : 'DIFFERENT'}; ` +
      `${digests.pairs} digests due, ${digests.wrong} not exactly once or not signed; ` +
      `${fire.duringMatching.kills} drivers and ${fire.duringMatching.crashes} PostgreSQL kills while matching`,
  );

  // Then roll the last imports back, newest first, under the same fire.
  const killsBefore = fire.kills;
  const latest = await chaosSql<{ id: number; file_name: string }[]>`
    select id, file_name from import_jobs where status = ${JOB.completed} order by id desc limit ${rollbacks}`;
  for (const [i, job] of latest.entries()) {
    await fire.underFire(
      `rollback of #${job.id} (${job.file_name})`,
      ['rollback', String(job.id), '--concurrency', '2'],
      async () => {
        const [r] = await chaosSql<{ status: string }[]>`select status from import_jobs where id = ${job.id}`;
        return r?.status === JOB.rolled_back;
      },
      0.6,
      i === 0 ? [JOB.rolling_back] : [], // PostgreSQL crashes mid-undo at least once
    );
  }
  const afterRollbacks = compare(
    `after rolling back the last ${rollbacks}`,
    beforeLast as Record<string, TableChecksum>,
    await patiently(patience, () => tableChecksums(chaosSql, { ids: false })),
  );
  const finalLog = await patiently(patience, () => batchLog(chaosSql));
  console.log(`\nrollback kills: ${fire.kills - killsBefore}`);
  console.log(`PostgreSQL kills survived: ${crash.count} (SIGKILL of the postmaster and every backend, then crash recovery); the job they hit was ${crash.summary()}`);
  const builds = await patiently(patience, () => indexState(chaosSql));
  console.log(
    `index builds: ${fire.duringBuilds.kills} drivers and ${fire.duringBuilds.crashes} PostgreSQL kills while the FULL's indexes were being built; ` +
      `afterwards ${builds.pending} partitions' indexes missing, ${builds.invalid} invalid`,
  );
  const lost = afterImports.lost + afterRollbacks.lost;
  const different = afterImports.different + afterRollbacks.different;
  console.log(`rows lost: ${lost}; tables different: ${different}; batches not applied exactly once: ${finalLog.notOnce}`);

  const [standing] = await patiently(patience, () => chaosSql<{ n: number }[]>`
    select count(*)::int as n from watch_matches m join import_jobs j on j.id = m.job_id where j.status = ${JOB.rolled_back} and m.withdrawn_at is null`);
  console.log(`matches of rolled-back imports still standing: ${standing?.n}`);
  await receiver.close();
  await chaosSql.end();
  await refSql.end();
  await closeDb();
  await pg.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  const buildsHit = fire.duringBuilds.kills > 0 && fire.duringBuilds.crashes > 0 && builds.pending === 0 && builds.invalid === 0;
  const matchingHit = fire.duringMatching.kills > 0 && fire.duringMatching.crashes > 0 && matchesEqual && digests.wrong === 0 && standing?.n === 0;
  const ok = different === 0 && lost === 0 && log.notOnce === 0 && finalLog.notOnce === 0 && fire.kills >= minKills && crash.count >= minPgKills && buildsHit && matchingHit;
  console.log(ok ? 'chaos: PASS' : 'chaos: FAIL');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
