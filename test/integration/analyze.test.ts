import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { cronTick } from '../../lib/imports/drive/cron';
import { driveImport, type DriveStep } from '../../lib/imports/drive/loop';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { workOutPart } from '../../lib/imports/sql/changes';
import { analyzeTargets, STATISTICS_TARGET } from '../../lib/imports/sql/indexes';
import { takeAnalyzeTable } from '../../lib/imports/sql/jobs';
import { freshDb, type TestDb } from '../helpers/db';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** Tables ANALYZE was run on by hand (not autovacuum), by name. */
async function analysed(): Promise<string[]> {
  const rows = await t.db<{ relname: string }[]>`
    select relname from pg_stat_user_tables where schemaname = 'public' and last_analyze is not null order by relname`;
  return rows.map((r) => r.relname);
}

const changedTables = async (jobId: number) =>
  (await t.db<{ t: string }[]>`select distinct table_name as t from import_job_batches where job_id = ${jobId} and rows_inserted + rows_ended > 0 order by 1`).map((r) => r.t);

/** The tables a job changed by at least a tenth of their rows (counted here, not estimated). */
const staleTables = async (jobId: number) => {
  const out: string[] = [];
  for (const table of await changedTables(jobId)) {
    const [r] = await t.db<{ n: number; rows: number }[]>`
      select (select coalesce(sum(rows_inserted + rows_ended), 0) from import_job_batches where job_id = ${jobId} and table_name = ${table})::int as n,
             (select count(*) from ${t.db(table)})::int as rows`;
    if ((r?.n ?? 0) >= 0.1 * (r?.rows ?? 0)) out.push(table);
  }
  return out;
};

/** What an import analyses: the tables it left stale, a partitioned one's partitions each (drizzle/0024). */
const changed = async (jobId: number) => (await analyzeTargets(t.db, await staleTables(jobId))).sort();

async function prepared(extract: ReturnType<RegisterModel['full']>) {
  return (await prepareImport(t.db, { fileName: extract.fileName, data: await zipExtract(extract), batchSize: 100 })).job.id;
}

describe('statistics after an import', () => {
  it('a FULL and an UPDATE leave every table they changed analysed, and nothing pending', async () => {
    const model = new RegisterModel(61);
    const full = await prepared(model.full(1, 300, '2025-03-01'));
    expect(await analysed()).toEqual([]);
    expect((await driveImport(t.db, { jobId: full, concurrency: 2, idleMs: 10 })).job.status).toBe('completed');
    expect((await changedTables(full)).length).toBeGreaterThanOrEqual(7);
    // Small partitioned tables are analysed whole, in one call: their partitions and the table itself.
    const tables = await changed(full);
    expect(tables).toContain('activities');
    expect(tables.some((x) => /_p\d\d$/.test(x))).toBe(false);
    const partitions = (await analyzeTargets(t.db, tables, 0)).filter((x) => /_p\d\d$/.test(x));
    expect(partitions).toContain('activities_p31');
    await expect.poll(analysed).toEqual(expect.arrayContaining([...tables, ...partitions]));
    const [inherited] = await t.db<{ n: number }[]>`select count(distinct tablename)::int as n from pg_stats where inherited and tablename = any(${tables})`;
    expect(inherited?.n).toBe(tables.filter((x) => x !== 'codes').length);
    // At the lower target: a histogram of at most STATISTICS_TARGET + 1 bounds.
    const [bounds] = await t.db<{ n: number }[]>`
      select max(cardinality(histogram_bounds::text::text[]))::int as n from pg_stats where tablename = 'enterprises' and inherited`;
    expect(bounds?.n).toBe(STATISTICS_TARGET + 1);
    const [job] = await t.db<{ pending: string[] }[]>`select analyze_pending as pending from import_jobs where id = ${full}`;
    expect(job?.pending).toEqual([]);

    const update = await prepared(model.update(2, '2025-03-02', 0.3));
    await t.db`select pg_stat_reset()`;
    expect((await driveImport(t.db, { jobId: update, concurrency: 2, idleMs: 10 })).job.status).toBe('completed');
    expect((await staleTables(update)).length).toBeGreaterThanOrEqual(5);
    await expect.poll(analysed).toEqual(expect.arrayContaining(await changed(update)));
  });

  it('a partitioned table too large for one call is listed as its partitions', async () => {
    const model = new RegisterModel(65);
    await driveImport(t.db, { jobId: await prepared(model.full(1, 100, '2025-03-01')), concurrency: 1, idleMs: 10 });
    expect(await analyzeTargets(t.db, ['codes', 'enterprises'])).toEqual(['codes', 'enterprises']);
    const parts = await analyzeTargets(t.db, ['codes', 'enterprises'], 0);
    expect(parts).toHaveLength(1 + 32);
    expect(parts.slice(0, 3)).toEqual(['codes', 'enterprises_p00', 'enterprises_p01']);
  });

  it('drivers analyse different tables at once, and the change list goes on meanwhile: nobody waits on the job row', async () => {
    const model = new RegisterModel(66);
    await driveImport(t.db, { jobId: await prepared(model.full(1, 300, '2025-03-01')), concurrency: 1, idleMs: 10 });
    const jobId = await prepared(model.update(2, '2025-03-02', 0.3));
    await driveImport(t.db, { jobId, concurrency: 1, idleMs: 10, budgetMs: 0, finalize: false });
    const { finalizeImport } = await import('../../lib/imports/jobs/finalize');
    await finalizeImport(t.db, { jobId, budgetMs: 0 });
    const [job] = await t.db<{ pending: string[]; n: number }[]>`select analyze_pending as pending, extract_number as n from import_jobs where id = ${jobId}`;
    expect(job?.pending.length).toBeGreaterThanOrEqual(2);

    // Driver A holds a table it took, as while its ANALYZE runs.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    let first: string | undefined;
    const a = t.db.begin(async (tx) => {
      first = await takeAnalyzeTable(tx, jobId);
      await held;
    });
    await expect.poll(() => first).toBeDefined();
    // Driver B takes another table, and a change-list step takes a part, both without waiting.
    const second = await t.db.begin(async (tx) => {
      await tx`select set_config('lock_timeout', '2s', true)`;
      return takeAnalyzeTable(tx, jobId);
    });
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    const part = await t.db.begin(async (tx) => {
      await tx`select set_config('lock_timeout', '2s', true)`;
      return workOutPart(tx, jobId, job?.n as number);
    });
    expect(part).toBe(true);
    release();
    await a;
  });

  it('a normal day (a change under a tenth of every table) leaves statistics to autovacuum', async () => {
    const model = new RegisterModel(64);
    await driveImport(t.db, { jobId: await prepared(model.full(1, 400, '2025-03-01')), concurrency: 2, idleMs: 10 });
    const update = await prepared(model.update(2, '2025-03-02', 0.01));
    await t.db`select pg_stat_reset()`;
    expect((await driveImport(t.db, { jobId: update, concurrency: 1, idleMs: 10 })).job.status).toBe('completed');
    expect((await changedTables(update)).filter((x) => x !== 'codes').length).toBeGreaterThanOrEqual(5);
    // The code table is small and each generated extract changes much of it; no register table is stale.
    expect((await staleTables(update)).filter((x) => x !== 'codes')).toEqual([]);
    const [job] = await t.db<{ listed: string[] }[]>`select analyze_pending || coalesce((select array_agg(relname::text) from pg_stat_user_tables where last_analyze is not null and relname <> 'codes'), '{}') as listed from import_jobs where id = ${update}`;
    expect(job?.listed).toEqual([]);
  });

  it('with no time left at finalize, the step calls after it analyse each table once, shared among drivers', async () => {
    const model = new RegisterModel(62);
    const jobId = await prepared(model.full(1, 200, '2025-03-01'));
    const steps: DriveStep[] = [];
    await driveImport(t.db, { jobId, concurrency: 3, idleMs: 10, budgetMs: 0, onStep: (s) => steps.push(s) });
    const taken = steps.flatMap((s) => s.analyzed ?? []);
    expect(taken.sort()).toEqual(await changed(jobId));
    await expect.poll(analysed).toEqual(expect.arrayContaining(taken));
  });

  it('a completed import left with stale statistics is finished by the cron tick', async () => {
    const model = new RegisterModel(63);
    const jobId = await prepared(model.full(1, 200, '2025-03-01'));
    await driveImport(t.db, { jobId, concurrency: 1, idleMs: 10, budgetMs: 0, finalize: false });
    const { finalizeImport } = await import('../../lib/imports/jobs/finalize');
    await finalizeImport(t.db, { jobId, budgetMs: 0 });
    const [before] = await t.db<{ pending: string[] }[]>`select analyze_pending as pending from import_jobs where id = ${jobId}`;
    expect(before?.pending.sort()).toEqual(await changed(jobId));
    await cronTick(t.db, 5_000);
    const [after] = await t.db<{ pending: string[] }[]>`select analyze_pending as pending from import_jobs where id = ${jobId}`;
    expect(after?.pending).toEqual([]);
    await expect.poll(analysed).toEqual(expect.arrayContaining(before?.pending ?? []));
  });
});
