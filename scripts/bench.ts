import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import JSZip from 'jszip';
import { RegisterModel, zipExtract } from '../lib/datasets/generator';
import { CODE_TABLE, filesFor, KBO_TABLES } from '../lib/datasets/kbo';
import { applyMigrations, createDb, createSql, recreateDatabase, resolveDatabaseUrl, type Sql } from '../lib/db/client';
import { ident, identList, join } from '../lib/db/sql';
import { driveImport } from '../lib/imports/drive/loop';
import { createImport } from '../lib/imports/jobs/create';
import { finalizeImport } from '../lib/imports/jobs/finalize';
import { startImport } from '../lib/imports/jobs/start';
import { JOB } from '../lib/imports/state/machine';
import { storeUpload } from '../lib/imports/store/parts';
import { getJobStatus } from '../lib/imports/view/status';

/**
 * `npm run bench -- --scale daily|busy|full10|full|resync|resync10 --concurrency 1,2,4`: on the same
 * PostgreSQL and the same generated files, times (1) COPY of the file's CSV rows straight into
 * tables of the final shape, (2) our whole pipeline through the verbs the routes use, once per
 * concurrency, each in a fresh process (its peak RSS is the working process's), and (3)
 * pgloader on the same CSVs when it is installed. Prints a table and writes JSON.
 */

const SCALES = {
  // A normal day: about 1,100 data rows on a register of 5,000 enterprises.
  daily: { base: 5_000, churn: 0.01 },
  // A busy day: about 200,000 activity rows.
  busy: { base: 30_000, churn: 0.9 },
  // A FULL at a tenth of the real size (about 4.7 M rows).
  full10: { full: 400_000 },
  // The real size (about 46.8 M rows): needs a lot of time and memory to generate.
  full: { full: 4_000_000 },
  // Resync: a FULL (30,000 enterprises, or full10's size) loaded, then the next day's FULL of a
  // state that drifted by 1% per table, compared with it.
  resync: { full: 30_000, drift: 0.01 },
  resync10: { full: 400_000, drift: 0.01 },
} as const;
type Scale = keyof typeof SCALES;

interface PipelineResult {
  concurrency: number;
  /** What this run varied, when --staging or --page-indexes compared variants: `unlogged`, `without page indexes`… */
  staging?: string;
  rows: number;
  seconds: { prepare: number; batches: number; finalize: number; total: number };
  calls: { upload: number[]; prepare: number[]; processBatch: number[]; finalize: number[] };
  maxRssMb: number;
  drift: { ended: number; inserted: number; unchanged: number } | null;
}

const DATA_DIR = path.resolve('bench-results', 'data');

// ---------------------------------------------------------------------------------------------
// The files: a base (loaded first, untimed) and the target extract that every approach loads.

async function benchFiles(scale: Scale): Promise<{ base: string | null; target: string }> {
  const dir = path.join(DATA_DIR, scale);
  const cfg = SCALES[scale];
  const base = path.join(dir, 'base.zip');
  const target = path.join(dir, 'target.zip');
  const hasBase = 'base' in cfg || 'drift' in cfg;
  if (existsSync(target)) return { base: hasBase ? base : null, target };
  await mkdir(dir, { recursive: true });
  const started = Date.now();
  const model = new RegisterModel(2026);
  if ('drift' in cfg) {
    await writeFile(base, await zipExtract(model.full(146, cfg.full, '2025-10-01')));
    model.drift(cfg.drift);
    await writeFile(target, await zipExtract(model.snapshot(147, '2025-10-02')));
  } else if ('full' in cfg) {
    await writeFile(target, await zipExtract(model.full(146, cfg.full, '2025-10-01')));
  } else {
    await writeFile(base, await zipExtract(model.full(146, cfg.base, '2025-10-01')));
    await writeFile(target, await zipExtract(model.update(147, '2025-10-02', cfg.churn)));
  }
  console.log(`generated ${scale} files in ${((Date.now() - started) / 1000).toFixed(1)} s (cached in ${path.relative(process.cwd(), dir)})`);
  return { base: hasBase ? base : null, target };
}

// ---------------------------------------------------------------------------------------------
// (1) The physical limit: COPY of the same CSV rows into tables shaped like ours.

async function copyBaseline(server: string, target: string): Promise<{ rows: number; seconds: number }> {
  const url = await freshDatabase(server, 'kbo_bench_copy', false);
  const sql = createSql(url, 2);
  const { zip, plans } = await targetPlans(target);
  let rows = 0;
  const tableOf = (name: string) => `copy_${name.replace('.csv', '')}`;
  for (const plan of plans) await createFinalShape(sql, tableOf(plan.name), plan.columns.map((c) => c.column));
  const started = Date.now();
  for (const plan of plans) {
    const entry = zip.file(plan.name) as JSZip.JSZipObject;
    const table = tableOf(plan.name);
    const columns = plan.columns.map((c) => c.column);
    const reserved = await sql.reserve();
    await reserved`set datestyle = 'ISO, DMY'`;
    const writable = await reserved`copy ${ident(sql, table)} (${identList(sql, columns)}) from stdin with (format csv, header true)`.writable();
    await pipeline(entry.nodeStream('nodebuffer') as unknown as Readable, writable);
    reserved.release();
    const [r] = await sql<{ n: number }[]>`select count(*)::int as n from ${ident(sql, table)}`;
    rows += r?.n ?? 0;
  }
  const seconds = (Date.now() - started) / 1000;
  await sql.end();
  return { rows, seconds };
}

/** The target zip and the CSV files its ExtractType has (as prepare reads them), those present. */
async function targetPlans(target: string) {
  const zip = await JSZip.loadAsync(await readFile(target));
  const meta = await zip.file('meta.csv')?.async('string');
  const type = /"ExtractType","(\w+)"/.exec(meta ?? '')?.[1] === 'full' ? 'full' : 'update';
  return { zip, plans: filesFor(type).filter((p) => zip.file(p.name)) };
}

/** A table of the final shape: identity key, business columns, history columns, partial index on the key. */
async function createFinalShape(sql: Sql, table: string, columns: string[]): Promise<void> {
  await sql`
    create table ${ident(sql, table)} (
      id bigint generated always as identity primary key,
      ${join(sql, columns.map((c) => sql`${ident(sql, c)} text`), ',')},
      extract_number integer not null default 147, snapshot_date date, is_current boolean not null default true, deleted_at_extract integer)`;
  await sql`create index on ${ident(sql, table)} (${ident(sql, columns[0] as string)}) where is_current`;
}

// ---------------------------------------------------------------------------------------------
// (2) Our pipeline, in a child process of its own (see `worker`).

function runPipeline(url: string, base: string | null, target: string, concurrency: number): Promise<PipelineResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--worker', url, '--base', base ?? '', '--target', target, '--concurrency', String(concurrency)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, DATABASE_URL: url },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`pipeline worker exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop() as string) as PipelineResult);
    });
  });
}

/**
 * The worker: load the base untimed, then import the target as the app does: the upload
 * (stored in the database, the job created and its first prepare steps run, as POST
 * /api/imports does), process-batch calls until done (prepare steps, then batches), finalize.
 */
async function worker(url: string, base: string, target: string, concurrency: number): Promise<PipelineResult> {
  const db = createDb(createSql(url, Math.max(4, concurrency + 2)));
  if (base) {
    const { jobId } = await createImport(db, { fileName: path.basename(base), path: base });
    await drive(db, jobId, 4, { prepare: [], batches: [] });
    await finalizeImport(db, { jobId });
  }
  const t0 = performance.now();
  const { uploadId } = await storeUpload(db.$client, path.basename(target), createReadStream(target));
  const { jobId } = await startImport(db, { fileName: path.basename(target), uploadId });
  const t1 = performance.now();
  const calls = { prepare: [] as number[], batches: [] as number[] };
  const preparedAt = await drive(db, jobId, concurrency, calls);
  const t2 = performance.now();
  await finalizeImport(db, { jobId });
  const t3 = performance.now();
  const done = await getJobStatus(db, jobId);
  if (done.job.status !== JOB.completed) throw new Error(`the import ended ${done.job.status}`);
  await db.$client.end();
  const s = (ms: number) => ms / 1000;
  const prepared = preparedAt ?? t1;
  return {
    concurrency,
    rows: done.rows.total,
    seconds: { prepare: s(prepared - t0), batches: s(t2 - prepared), finalize: s(t3 - t2), total: s(t3 - t0) },
    calls: { upload: [t1 - t0], prepare: calls.prepare, processBatch: calls.batches, finalize: [t3 - t2] },
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    drift: done.drift ? { ended: done.drift.ended, inserted: done.drift.inserted, unchanged: done.drift.unchanged } : null,
  };
}

/**
 * The shared headless driver (lib/imports/drive/loop.ts) without its finalize, timing every
 * process-batch call (as a prepare step or a batch call); returns when the job left `preparing`.
 */
async function drive(db: ReturnType<typeof createDb>, jobId: number, concurrency: number, calls: { prepare: number[]; batches: number[] }) {
  let preparedAt: number | undefined;
  const end = await driveImport(db, {
    jobId,
    concurrency,
    idleMs: 20,
    finalize: false,
    onStep: (step, ms) => {
      (step.prepared.length ? calls.prepare : calls.batches).push(ms);
      if (preparedAt === undefined && step.progress.job.status !== JOB.preparing) preparedAt = performance.now();
    },
  });
  if (end.batches.failed > 0) throw new Error('a batch failed');
  if (end.job.error) throw new Error(end.job.error.message);
  return preparedAt;
}

// ---------------------------------------------------------------------------------------------
// (3) pgloader, when installed, on the same CSV files into the same shape as the baseline.

async function pgloaderRun(server: string, target: string): Promise<{ rows: number; seconds: number } | null> {
  try {
    execFileSync('pgloader', ['--version'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const url = await freshDatabase(server, 'kbo_bench_pgloader', false);
  const dir = path.join(DATA_DIR, 'pgloader-csv');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const { zip, plans } = await targetPlans(target);
  const sql = createSql(url, 1);
  const loads: string[] = [];
  const tableOf = (name: string) => `pgl_${name.replace('.csv', '')}`;
  for (const plan of plans) {
    const table = tableOf(plan.name);
    const columns = plan.columns.map((c) => c.column);
    await createFinalShape(sql, table, columns);
    const file = path.join(dir, plan.name);
    await writeFile(file, await (zip.file(plan.name) as JSZip.JSZipObject).async('nodebuffer'));
    loads.push(
      `LOAD CSV FROM '${file}' (${columns.map((c) => `"${c}"`).join(', ')})\n` +
        `  INTO ${url}?${table} (${columns.map((c) => `"${c}"`).join(', ')})\n` +
        `  WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote, fields terminated by ',';`,
    );
  }
  await sql.end();
  const started = Date.now();
  for (const [i, load] of loads.entries()) {
    const cmd = path.join(dir, `load-${i}.load`);
    await writeFile(cmd, load);
    execFileSync('pgloader', ['--quiet', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const seconds = (Date.now() - started) / 1000;
  const check = createSql(url, 1);
  let rows = 0;
  for (const plan of plans) {
    const [r] = await check<{ n: number }[]>`select count(*)::int as n from ${ident(check, tableOf(plan.name))}`;
    rows += r?.n ?? 0;
  }
  await check.end();
  return { rows, seconds };
}

// ---------------------------------------------------------------------------------------------

async function freshDatabase(server: string, name: string, migrate: boolean): Promise<string> {
  const url = await recreateDatabase(server, name);
  if (migrate) await applyMigrations(url);
  return url;
}

const STAGING_TABLES = [...KBO_TABLES.map((t) => t.staging), CODE_TABLE.staging];

/** Makes every staging table LOGGED or UNLOGGED (the comparison of --staging). */
async function setStaging(url: string, kind: string): Promise<void> {
  if (kind !== 'logged' && kind !== 'unlogged') throw new Error(`--staging takes logged and unlogged, not ${kind}`);
  const sql = createSql(url, 1);
  for (const table of STAGING_TABLES) await sql`alter table ${ident(sql, table)} ${kind === 'logged' ? sql`set logged` : sql`set unlogged`}`;
  await sql.end();
}

/**
 * The indexes the register's pages and search add (migrations 0012 and 0014), by purpose, for
 * --page-indexes: `with` keeps them all, `without` drops them all, `without-<group>` drops one
 * group (what that group costs an import).
 */
const PAGE_INDEXES = {
  pages: ['establishments_current_enterprise_idx', 'branches_current_enterprise_idx'],
  history: [...KBO_TABLES.map((t) => `${t.table}_ended_key_idx`), 'establishments_ended_enterprise_idx', 'branches_ended_enterprise_idx'],
  names: ['denominations_current_name_idx', 'denominations_current_name_trgm_idx'],
  filters: ['enterprises_current_form_idx', 'addresses_current_zipcode_idx', 'activities_current_nace_idx'],
};

async function setPageIndexes(url: string, mode: string): Promise<void> {
  const groups = Object.keys(PAGE_INDEXES) as (keyof typeof PAGE_INDEXES)[];
  const dropped = mode === 'with' ? [] : mode === 'without' ? groups : groups.filter((g) => mode === `without-${g}`);
  if (mode !== 'with' && dropped.length === 0) {
    throw new Error(`--page-indexes takes with, without and ${groups.map((g) => `without-${g}`).join(', ')}, not ${mode}`);
  }
  const sql = createSql(url, 1);
  for (const name of dropped.flatMap((g) => PAGE_INDEXES[g])) await sql`drop index ${ident(sql, name)}`;
  await sql.end();
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: 'daily' },
      concurrency: { type: 'string', default: '1,2,4' },
      worker: { type: 'string' },
      base: { type: 'string' },
      target: { type: 'string' },
      'no-pgloader': { type: 'boolean', default: false },
      staging: { type: 'string' },
      'page-indexes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.worker) {
    const r = await worker(values.worker, values.base ?? '', values.target as string, Number(values.concurrency));
    console.log(JSON.stringify(r));
    return 0;
  }
  const scale = values.scale as Scale;
  if (values.help || !(scale in SCALES)) {
    console.log(`usage: npm run bench -- [--scale ${Object.keys(SCALES).join('|')}] [--concurrency 1,2,4] [--no-pgloader]`);
    return values.help ? 0 : 2;
  }
  const levels = (values.concurrency as string).split(',').map(Number);
  const server = await resolveDatabaseUrl();
  const { base, target } = await benchFiles(scale);

  const copy = await copyBaseline(server, target);
  console.log(`COPY baseline: ${fmt(copy.rows)} rows in ${fmt(copy.seconds, 2)} s`);
  const runs: PipelineResult[] = [];
  // --staging unlogged,logged or --page-indexes with,without: each level once per variant, side by side.
  const variants: { label?: string; prepare?: (url: string) => Promise<void> }[] = values.staging
    ? values.staging.split(',').map((kind) => ({ label: `${kind} staging`, prepare: (url: string) => setStaging(url, kind) }))
    : values['page-indexes']
      ? values['page-indexes'].split(',').map((mode) => ({ label: `${mode} page indexes`, prepare: (url: string) => setPageIndexes(url, mode) }))
      : [{}];
  for (const n of levels) {
    for (const variant of variants) {
      const url = await freshDatabase(server, 'kbo_bench_pipeline', true);
      await variant.prepare?.(url);
      const r = { ...(await runPipeline(url, base, target, n)), ...(variant.label ? { staging: variant.label } : {}) };
      runs.push(r);
      console.log(`pipeline, ${n} driver${n === 1 ? '' : 's'}${variant.label ? `, ${variant.label}` : ''}: ${fmt(r.rows)} rows in ${fmt(r.seconds.total, 2)} s`);
    }
  }
  const pgl = values['no-pgloader'] ? null : await pgloaderRun(server, target);

  const rate = (rows: number, s: number) => rows / Math.max(s, 1e-9);
  const copyRate = rate(copy.rows, copy.seconds);
  const one = runs.find((r) => r.concurrency === 1);
  const label = (r: PipelineResult) => `pipeline, N=${r.concurrency}${r.staging ? ` ${r.staging.replace(' staging', '')}` : ''}`;
  const onto = 'drift' in SCALES[scale] ? ' (a FULL resynced onto a database holding the previous FULL)' : base ? ' (applied on a loaded base)' : '';
  console.log(`\nscale ${scale}: ${fmt(copy.rows)} rows in the target extract${onto}\n`);
  console.log('approach                 seconds      rows/s   vs COPY   speed-up   prepare   batches  finalize   p50 call   p95 call   max call   peak RSS');
  console.log(`COPY (baseline)       ${fmt(copy.seconds, 2).padStart(10)}  ${fmt(copyRate).padStart(10)}      1.00`);
  for (const r of runs) {
    const all = [...r.calls.upload, ...r.calls.prepare, ...r.calls.processBatch, ...r.calls.finalize];
    const line = [
      label(r).padEnd(20),
      fmt(r.seconds.total, 2).padStart(10),
      fmt(rate(r.rows, r.seconds.total)).padStart(10),
      fmt(rate(r.rows, r.seconds.total) / copyRate, 2).padStart(8),
      (one ? fmt(one.seconds.total / r.seconds.total, 2) + '×' : '').padStart(9),
      fmt(r.seconds.prepare, 2).padStart(9),
      fmt(r.seconds.batches, 2).padStart(9),
      fmt(r.seconds.finalize, 2).padStart(9),
      `${fmt(pct(all, 50))} ms`.padStart(10),
      `${fmt(pct(all, 95))} ms`.padStart(10),
      `${fmt(Math.max(...all))} ms`.padStart(10),
      `${fmt(r.maxRssMb)} MB`.padStart(10),
    ];
    console.log(line.join(' '));
  }
  if (pgl) {
    console.log(`pgloader              ${fmt(pgl.seconds, 2).padStart(10)}  ${fmt(rate(pgl.rows, pgl.seconds)).padStart(10)}  ${fmt(rate(pgl.rows, pgl.seconds) / copyRate, 2).padStart(8)}`);
  } else {
    console.log(values['no-pgloader'] ? 'pgloader: skipped (--no-pgloader)' : 'pgloader: not installed (apt-get install pgloader), skipped');
  }
  console.log('\n(calls: the upload request, every process-batch call, prepare steps and batches alike, and finalize)');
  for (const r of runs) {
    const d = (xs: number[]) => `${xs.length} calls, p50 ${fmt(pct(xs, 50))} ms, p95 ${fmt(pct(xs, 95))} ms, max ${fmt(Math.max(0, ...xs))} ms`;
    console.log(`${label(r)}: upload ${fmt(r.calls.upload[0] ?? 0)} ms; prepare steps: ${d(r.calls.prepare)}; batches: ${d(r.calls.processBatch)}; finalize ${fmt(r.calls.finalize[0] ?? 0)} ms`);
    if (r.drift) console.log(`${label(r)}: resync ended ${fmt(r.drift.ended)}, inserted ${fmt(r.drift.inserted)}, left ${fmt(r.drift.unchanged)} rows unchanged`);
  }

  await mkdir('bench-results', { recursive: true });
  const out = path.join('bench-results', `${scale}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(out, JSON.stringify({ scale, copy, pipeline: runs.map((r) => ({ ...r, calls: Object.fromEntries(Object.entries(r.calls).map(([k, xs]) => [k, { count: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), max: Math.max(0, ...xs) }])) })), pgloader: pgl }, null, 2));
  console.log(`written to ${out}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
