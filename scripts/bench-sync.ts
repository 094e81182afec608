/**
 * A sync through a local imitation of the KBO portal (test/helpers/portal.ts), end to end:
 * login, listing, download in parts, import. Prints the seconds of (1) one daily-size UPDATE
 * by `npm run sync`'s path, (2) a catch-up of 30 daily-size UPDATEs by the same path, and (3)
 * the same catch-up on the cron path, in ticks of a 10 s budget, with the p95 and max of its
 * calls (each sync step and each import step).
 *
 *   npm run bench:sync [-- --enterprises 5000 --updates 30]
 */
import { parseArgs } from 'node:util';
import { RegisterModel, zipExtract } from '../lib/generator';
import { endsCurrent, KboPortal, runSync, SYNC_STEP, syncTick } from '../lib/sync';
import { applyMigrations, createSql, recreateDatabase, resolveDatabaseUrl, exitAfterStop, type Sql } from '../lib/db/client';
import { startPortal, type PortalImitation } from '../test/helpers/portal';
import { pct } from './bench/report';

const day = (n: number) => new Date(Date.UTC(2025, 9, 1 + n - 140)).toISOString().slice(0, 10);
const fmt = (n: number, digits = 1) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function freshDb(server: string, name: string): Promise<Sql> {
  const url = await recreateDatabase(server, name);
  await applyMigrations(url);
  return createSql(url, 10);
}

/** FULL 140 published; then `updates` daily UPDATEs 141… (and that day's FULL), published as the run asks. */
async function publishDays(portal: PortalImitation, model: RegisterModel, from: number, to: number): Promise<number[]> {
  const rows: number[] = [];
  for (let n = from; n <= to; n++) {
    const update = model.update(n, day(n), 0.01);
    rows.push(update.rows);
    portal.files.set(update.fileName, await zipExtract(update));
    const full = model.snapshot(n, day(n));
    portal.files.set(full.fileName, await zipExtract(full));
  }
  return rows;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { enterprises: { type: 'string', default: '5000' }, updates: { type: 'string', default: '30' } } });
  const enterprises = Number(values.enterprises);
  const updates = Number(values.updates);
  const server = await resolveDatabaseUrl();
  const portal = await startPortal();
  const client = () => new KboPortal(portal.base, portal.user, portal.password);
  try {
    // (1) and (2): the CLI's path.
    const model = new RegisterModel(2025);
    const full = model.full(140, enterprises, day(140));
    portal.files.set(full.fileName, await zipExtract(full));
    const db = await freshDb(server, 'kbo_bench_sync');
    if (!(await runSync(db, client())).current) throw new Error('the FULL did not load');
    const [dailyRows] = await publishDays(portal, model, 141, 141);
    let t0 = performance.now();
    const one = await runSync(db, client());
    const oneSeconds = (performance.now() - t0) / 1000;
    if (!one.current) throw new Error(one.message);
    await publishDays(portal, model, 142, 141 + updates);
    t0 = performance.now();
    const many = await runSync(db, client());
    const manySeconds = (performance.now() - t0) / 1000;
    if (!many.current) throw new Error(many.message);
    await db.end();

    // (3): the cron path, from the same start (FULL 140, then every UPDATE up to the newest).
    const cronDb = await freshDb(server, 'kbo_bench_sync');
    // Load FULL 140 alone first (a register already in place), untimed.
    const later = new Map([...portal.files].filter(([n]) => !n.includes('_0140_')));
    for (const n of later.keys()) portal.files.delete(n);
    if (!(await runSync(cronDb, client())).current) throw new Error('the FULL did not load');
    for (const [n, b] of later) portal.files.set(n, b);
    const calls: Record<string, number[]> = { 'sync step': [], 'import step': [] };
    let ticks = 0;
    t0 = performance.now();
    for (;;) {
      ticks++;
      await cronDb`update sync_state set last_check_at = null`; // every tick may check, as if minutes apart
      const steps = await syncTick(cronDb, client(), Date.now() + 10_000, (what, ms) => calls[what]?.push(ms));
      const last = steps[steps.length - 1];
      if (last?.state === SYNC_STEP.error) throw new Error(last.message);
      if (last && endsCurrent(last.state)) break;
      if (ticks > 500) throw new Error('the cron path did not finish');
    }
    const cronSeconds = (performance.now() - t0) / 1000;
    await cronDb.end();

    console.log(`\nsync through the portal imitation: a register of ${fmt(enterprises, 0)} enterprises, daily UPDATEs of 1% churn (the first: ${fmt(dailyRows ?? 0, 0)} rows)`);
    console.log(`(1) one daily UPDATE, npm run sync's path (login, listing, download, import): ${fmt(oneSeconds)} s`);
    console.log(`(2) ${updates} daily UPDATEs caught up, the same path: ${fmt(manySeconds)} s (${fmt(manySeconds / updates, 2)} s each)`);
    console.log(`(3) the same ${updates + 1} UPDATEs on the cron path, ticks of 10 s: ${fmt(cronSeconds)} s in ${ticks} ticks`);
    for (const [what, xs] of Object.entries(calls)) {
      if (xs.length) console.log(`    ${what}: ${xs.length} calls, p50 ${fmt(pct(xs, 50), 0)} ms, p95 ${fmt(pct(xs, 95), 0)} ms, max ${fmt(Math.max(...xs), 0)} ms`);
    }
    return 0;
  } finally {
    await portal.close();
  }
}

main().then(
  (code) => exitAfterStop(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    return exitAfterStop(1);
  },
);
