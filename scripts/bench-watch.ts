/**
 * How long matching an import against the watchlists takes: 100,000 watched numbers and ten
 * saved searches. Prints each step's time (the budget of a call is 2 s), by kind, and the
 * whole match with one driver and with two.
 *   npm run bench:watch                                  # the busy UPDATE: 30,000 enterprises, churn 0.9, through the pipeline
 *   npm run bench:watch -- --database kbo_bench_register # the register bench:register built (any size), its extract 2
 *
 * The generated register is loaded by the pipeline (a FULL then the UPDATE) into
 * `kbo_bench_watch`, kept and reused while the size, the churn and the migrations are the same.
 * (The generator's UPDATE takes minutes beyond 30,000 enterprises: for full10's size and the
 * real one, build the register in SQL with `npm run bench:register -- --enterprises 400000
 * --changed 70`, then point this at it.)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyMigrations, createSql, databaseUrl, exitAfterStop, recreateDatabase, resolveDatabaseUrl, type Sql } from '../lib/db/client';
import { RegisterModel, zipExtract } from '../lib/generator';
import { driveImport, JOB, prepareImport } from '../lib/imports';
import { createWatchlist } from '../lib/watch';
import { matchPart, planMatching } from '../lib/watch/match';
import { migrationsDigest } from './bench/databases';
import { fmt, pct } from './bench/report';

const DB = 'kbo_bench_watch';

/** Loads the register (a FULL, then the UPDATE) unless the database holds this very one; returns the UPDATE's job and the model. */
async function register(server: string, enterprises: number, churn: number): Promise<{ url: string; job: number }> {
  const migrations = await migrationsDigest();
  const fingerprint = `${enterprises}/${churn}/${migrations}`;
  const url = databaseUrl(server, DB);
  const probe = createSql(url, 1);
  const held = await probe<{ v: string; job: number }[]>`
    select obj_description('import_jobs'::regclass) as v, (select id from import_jobs where extract_number = 147 and status = ${JOB.completed}) as job`.catch(() => []);
  await probe.end();
  if (held[0]?.v === fingerprint && held[0].job) return { url, job: held[0].job };
  const model = new RegisterModel(2026);
  const full = model.full(146, enterprises, '2025-10-01');
  const update = model.update(147, '2025-10-02', churn);
  console.log(`loading a register of ${fmt(enterprises)} enterprises and an UPDATE of churn ${churn} into ${DB} …`);
  await recreateDatabase(server, DB);
  await applyMigrations(url);
  const sql = createSql(url, 4);
  let job = 0;
  for (const e of [full, update]) {
    const t0 = performance.now();
    const prepared = await prepareImport(sql, { fileName: e.fileName, data: await zipExtract(e) });
    const done = await driveImport(sql, { jobId: prepared.job.id, concurrency: 2 });
    if (done.job.status !== JOB.completed) throw new Error(`${e.fileName} ended ${done.job.status}`);
    job = done.job.id;
    console.log(`  ${e.fileName}: ${fmt((performance.now() - t0) / 1000, 1)} s`);
  }
  await sql.unsafe(`comment on table import_jobs is '${fingerprint.replaceAll("'", "''")}'`);
  await sql.end();
  return { url, job };
}

/** A register built elsewhere (bench:register): its latest completed import is the one matched. */
async function existing(server: string, database: string): Promise<{ url: string; job: number }> {
  const url = databaseUrl(server, database);
  await applyMigrations(url);
  const sql = createSql(url, 1);
  const [j] = await sql<{ id: number }[]>`select id from import_jobs where status = ${JOB.completed} order by extract_number desc limit 1`;
  await sql.end();
  if (!j) throw new Error(`${database} holds no completed import`);
  return { url, job: j.id };
}

/** 100,000 numbers (enterprises and establishments, as a bank's customers would be) and ten saved searches, made again. */
async function watchlists(sql: Sql, numbers: number): Promise<void> {
  await sql`delete from watchlists`;
  const all = await sql<{ n: string }[]>`
    select enterprise_number as n from enterprises where is_current union all select establishment_number from establishments where is_current`;
  const step = Math.max(1, Math.floor(all.length / numbers));
  const watched = all.map((r) => r.n).filter((_, i) => i % step === 0).slice(0, numbers);
  const who = { owner: 'bench', admin: false };
  await createWatchlist(sql, who, { name: `${watched.length} numbers`, numbers: watched });
  const common = async (column: string, table: string) =>
    (await sql<{ v: string }[]>`select ${sql(column)} as v from ${sql(table)} where is_current and ${sql(column)} is not null group by 1 order by count(*) desc limit 3`).map((r) => r.v);
  const [nace, zips, forms] = [await common('nace_code', 'activities'), await common('zipcode', 'addresses'), await common('juridical_form', 'enterprises')];
  const searches = [
    { nace: nace[0] },
    { nace: nace[1] },
    { nace: nace[2], place: zips[0] },
    { place: zips[0] },
    { place: zips[1] },
    { form: forms[0], status: 'AC' },
    { form: forms[1] },
    { status: 'ST' },
    { q: 'de' },
    { q: 'bak', place: zips[2] },
  ];
  for (const [i, search] of searches.entries()) await createWatchlist(sql, who, { name: `search ${i + 1}`, search });
}

/** The UPDATE's matching, from the start: forgotten, planned again. */
async function fresh(sql: Sql, job: number): Promise<number> {
  await sql`delete from notifications where job_id = ${job}`;
  await sql`delete from watch_matches where job_id = ${job}`;
  await sql`delete from watch_steps where job_id = ${job}`;
  await sql`delete from watch_subjects where job_id = ${job}`;
  // As if it had just completed: an import is matched for the watchlists there were then.
  await sql`update import_jobs set finished_at = now() where id = ${job}`;
  const t0 = performance.now();
  await sql.begin((tx) => planMatching(tx, job));
  return performance.now() - t0;
}

/** One driver taking steps until none is left, one transaction each: each step's time and kind. */
async function drive(sql: Sql, job: number, steps: { kind: string; ms: number }[]): Promise<void> {
  for (;;) {
    const [next] = await sql<{ kind: string }[]>`select phase as kind from watch_steps where job_id = ${job} and not done order by part limit 1`;
    if (!next) return;
    const t0 = performance.now();
    // None free: another driver holds the last of a phase, and plans the next as it commits.
    if (!(await sql.begin((tx) => matchPart(tx, job)))) await new Promise((r) => setTimeout(r, 5));
    else steps.push({ kind: next.kind, ms: performance.now() - t0 });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { enterprises: { type: 'string', default: '30000' }, churn: { type: 'string', default: '0.9' }, numbers: { type: 'string', default: '100000' }, database: { type: 'string' }, drivers: { type: 'string', default: '1,2' } },
  });
  const churn = Number(values.churn);
  const server = await resolveDatabaseUrl();
  const { url, job } = values.database ? await existing(server, values.database) : await register(server, Number(values.enterprises), churn);
  const sql = createSql(url, 4);
  await watchlists(sql, Number(values.numbers));
  const [changes] = await sql<{ entries: number; entities: number }[]>`select count(*)::int as entries, count(distinct n)::int as entities from import_changes where job_id = ${job}`;

  const results: Record<string, unknown> = {};
  for (const drivers of (values.drivers as string).split(',').map(Number)) {
    const planMs = await fresh(sql, job);
    const steps: { kind: string; ms: number }[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: drivers }, () => drive(sql, job, steps)));
    const wholeMs = performance.now() - t0 + planMs;
    const [m] = await sql<{ matches: number; digests: number }[]>`
      select (select count(*) from watch_matches where job_id = ${job})::int as matches, (select count(*) from notifications where job_id = ${job})::int as digests`;
    if (!m?.matches) throw new Error(`the UPDATE matched nothing with ${drivers} driver(s): the watchlists or the matching are wrong`);
    console.log(`\n${drivers} driver${drivers === 1 ? '' : 's'}: the whole match ${fmt(wholeMs / 1000, 2)} s (planning ${fmt(planMs, 0)} ms); ${fmt(m?.matches ?? 0)} matches`);
    console.log(`kind      steps      p50      p95      max (ms)`);
    for (const kind of ['subjects', 'match', 'digest']) {
      const ms = steps.filter((s) => s.kind === kind).map((s) => s.ms);
      console.log(`${kind.padEnd(8)} ${String(ms.length).padStart(6)} ${fmt(pct(ms, 50), 0).padStart(8)} ${fmt(pct(ms, 95), 0).padStart(8)} ${fmt(Math.max(0, ...ms), 0).padStart(8)}`);
    }
    results[`drivers${drivers}`] = { wholeMs, planMs, steps, matches: m?.matches };
  }
  const [size] = await sql<{ n: number }[]>`select count(*)::int as n from enterprises where is_current`;
  const enterprises = size?.n ?? 0;
  console.log(`\nregister of ${fmt(enterprises)} enterprises; the UPDATE changed ${fmt(changes?.entities ?? 0)} entities (${fmt(changes?.entries ?? 0)} change-list entries)`);
  await sql.end();
  await mkdir('bench-results', { recursive: true });
  const file = path.join('bench-results', `watch-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ enterprises, churn, changes, results }, null, 2));
  console.log(`written to ${file}`);
  return 0;
}

main().then(
  (code) => exitAfterStop(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    return exitAfterStop(1);
  },
);
