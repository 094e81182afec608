import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type GeneratedExtract } from '../../lib/generator/generator';
import { cronTick } from '../../lib/imports/drive/cron';
import { driveImport } from '../../lib/imports/drive/loop';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { cancelImport } from '../../lib/imports/jobs/controls';
import { indexingProgress, indexSteps } from '../../lib/imports/jobs/indexes';
import { buildProgress, pendingBuilds } from '../../lib/imports/sql/indexes';
import { getJobStatus } from '../../lib/imports/view/status';
import { entityView, searchRegister } from '../../lib/register';
import { createSql } from '../../lib/db/client';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, tableChecksums } from '../helpers/import';
import { KBO_TABLES, type DataTableName } from '../../lib/kbo/spec';
import { finalizeImport } from '../../lib/imports/jobs/finalize';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** Every index of the register's partitioned tables and of their partitions, with its definition and validity. */
async function catalog(): Promise<string[]> {
  const rows = await t.db<{ line: string }[]>`
    select c.relname || ' ' || x.relname || ' ' || i.indisvalid || ' ' || regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') as line
    from pg_index i join pg_class c on c.oid = i.indrelid join pg_class x on x.oid = i.indexrelid
    where c.relname ~ '^(enterprises|establishments|denominations|addresses|contacts|activities|branches)(_p\\d+)?$'
    order by 1`;
  return rows.map((r) => r.line.replace(/_p\d+_\S+/, '_pNN')).sort();
}

async function prepared(extract: GeneratedExtract, deferIndexes?: boolean) {
  return (await prepareImport(t.db, { fileName: extract.fileName, data: await zipExtract(extract), batchSize: 100, deferIndexes })).job.id;
}

/** Every batch applied, then finalize with no time left for a build. */
async function loaded(jobId: number) {
  await driveImport(t.db, { jobId, concurrency: 1, idleMs: 10, finalize: false });
  await finalizeImport(t.db, { jobId, budgetMs: 0 });
}

const job = async (id: number) => (await t.db<{ status: string; indexing: boolean }[]>`select status, indexing from import_jobs where id = ${id}`)[0];

/** What the register's pages answer for a few searches and entities of the model. */
async function answers(model: RegisterModel) {
  const rows = (table: DataTableName, column: number, n: number) => model.currentRows(table).slice(0, n).map((r) => String(r[column]));
  const names = rows('denominations', 3, 5).map((name) => name.slice(0, 4));
  const naces = rows('activities', 3, 3);
  const zips = rows('addresses', 4, 3);
  const numbers = rows('enterprises', 0, 5);
  return {
    names: await Promise.all(names.map((q) => searchRegister(t.db, { q }))),
    naces: await Promise.all(naces.map((nace) => searchRegister(t.db, { nace }))),
    places: await Promise.all(zips.map((place) => searchRegister(t.db, { place }))),
    entities: await Promise.all(numbers.map((n) => entityView(t.db, n))),
  };
}

describe('a FULL into an empty register, loaded first and indexed after', () => {
  it('loads without the deferred indexes, answers the same while they are built, and ends with every index of a migrated register', async () => {
    const migrated = await catalog();
    const model = new RegisterModel(71);
    const jobId = await prepared(model.full(1, 400, '2025-03-01'), true);
    const deferred = await buildProgress(t.db);
    expect(deferred.total).toBe(14 * 32);
    expect(deferred.pending).toBe(deferred.total);
    expect(await job(jobId)).toEqual({ status: 'running', indexing: true });

    const done = await driveImport(t.db, { jobId, concurrency: 1, idleMs: 10 });
    expect(done.job.status).toBe('completed');
    for (const table of KBO_TABLES) expect(await currentRows(t.db, table.table)).toEqual(model.currentRows(table.table));
    expect(await job(jobId)).toEqual({ status: 'completed', indexing: false });
    expect(await catalog()).toEqual(migrated);
  });

  it('the register answers the same before, during and after the builds; a status says how far they are', async () => {
    const model = new RegisterModel(72);
    const jobId = await prepared(model.full(1, 300, '2025-03-01'), true);
    await loaded(jobId);
    const before = await answers(model);
    expect(before.names.every((r) => r.hits.length > 0)).toBe(true);
    expect((await getJobStatus(t.db, jobId)).indexes).toEqual({ built: 0, total: 448 });

    expect(await indexSteps(t.db, Date.now(), true)).toBe(1);
    const partway = (await getJobStatus(t.db, jobId)).indexes;
    expect(partway?.built).toBeGreaterThan(0);
    expect(await indexingProgress(t.db)).toEqual(partway); // what the register's page says
    expect(await answers(model)).toEqual(before);

    await driveImport(t.db, { jobId, concurrency: 2, idleMs: 10 });
    expect((await getJobStatus(t.db, jobId)).indexes).toBeNull();
    expect(await indexingProgress(t.db)).toBeNull();
    expect(await answers(model)).toEqual(before);
  });

  it('three drivers build different partitions at once, each exactly once', async () => {
    const model = new RegisterModel(73);
    const jobId = await prepared(model.full(1, 200, '2025-03-01'), true);
    await loaded(jobId);
    const built = await Promise.all([0, 1, 2].map(() => indexSteps(t.db, Date.now() + 60_000)));
    expect(built.reduce((a, b) => a + b, 0)).toBe(448);
    expect(built.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(await pendingBuilds(t.db)).toEqual([]);
    expect(await job(jobId)).toEqual({ status: 'completed', indexing: false });
  });

  it('a build cut off by a lost connection is rolled back and built by the next step; the cron tick carries builds on', async () => {
    const model = new RegisterModel(74);
    const jobId = await prepared(model.full(1, 200, '2025-03-01'), true);
    await loaded(jobId);
    const sums = await tableChecksums(t.db);
    // A build whose backend is killed between its CREATE INDEX and its commit.
    const victim = createSql(t.url, 1);
    const [first] = await pendingBuilds(t.db);
    const cut = await victim
      .begin(async (tx) => {
        const [me] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
        await tx`select kbo_build_index_partition(${first!.index}::regclass, ${first!.partition}::regclass)`;
        await t.db`select pg_terminate_backend(${me!.pid})`;
        await tx`select 1`;
      })
      .then(
        () => 'committed',
        (e: Error) => e.message,
      );
    await victim.end({ timeout: 1 }).catch(() => undefined);
    expect(cut).toMatch(/terminat|closed|ended/i);
    expect((await pendingBuilds(t.db))[0]).toEqual(first);
    while ((await job(jobId))?.indexing) await cronTick(t.db, 500);
    expect(await pendingBuilds(t.db)).toEqual([]);
    expect(await tableChecksums(t.db)).toEqual(sums);
  });

  it('a FULL cancelled, or refused, before its indexes are built leaves the register empty with every index', async () => {
    const migrated = await catalog();
    const model = new RegisterModel(75);
    const cancelled = await prepared(model.full(1, 200, '2025-03-01'), true);
    await cancelImport(t.db, { jobId: cancelled });
    await driveImport(t.db, { jobId: cancelled, concurrency: 1, idleMs: 10 });
    expect(await job(cancelled)).toEqual({ status: 'cancelled', indexing: false });
    expect(await catalog()).toEqual(migrated);

    const bad = model.full(2, 50, '2025-03-02');
    bad.files['enterprise.csv'] = 'not,a,header\n';
    const refused = await prepareImport(t.db, { fileName: bad.fileName, data: await zipExtract(bad), deferIndexes: true }).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(await catalog()).toEqual(migrated);
    expect((await t.db<{ n: number }[]>`select count(*)::int as n from import_jobs where indexing`)[0]?.n).toBe(0);
  });

  it('a small FULL keeps its indexes up as it loads (IMPORT_DEFER_INDEXES_MB), and an UPDATE never defers', async () => {
    const migrated = await catalog();
    const model = new RegisterModel(76);
    const full = await prepared(model.full(1, 100, '2025-03-01'));
    expect(await job(full)).toEqual({ status: 'running', indexing: false });
    expect(await catalog()).toEqual(migrated);
    await driveImport(t.db, { jobId: full, concurrency: 1, idleMs: 10 });
    const update = await prepared(model.update(2, '2025-03-02', 0.1), true);
    expect(await job(update)).toEqual({ status: 'running', indexing: false });
    expect(await catalog()).toEqual(migrated);
  });
});
