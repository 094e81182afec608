import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type GeneratedExtract } from '../../lib/generator/generator';
import { DATA_TABLES, PRIMARY_NAME_LANGUAGES } from '../../lib/kbo/spec';
import type { StagingProgress } from '../../lib/db/schema';
import { cancelImport } from '../helpers/answers';
import { driveImport } from '../../lib/imports/drive/loop';
import { createImport } from '../helpers/answers';
import { forgetLiveReaders } from '../../lib/imports/jobs/prepare/readers';
import { processBatch } from '../helpers/answers';
import { getJobStatus } from '../../lib/imports/view/status';
import { startImport } from '../../lib/imports/jobs/start';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, importZip, tableChecksums } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** A FULL whose activity.csv spans several 512 KB pieces, so prepare takes several steps per file. */
function bigFull(seed: number): { model: RegisterModel; full: GeneratedExtract } {
  const model = new RegisterModel(seed);
  return { model, full: model.full(1, 9_000, '2025-05-01') };
}

describe('staged prepare', () => {
  it('prepares a FULL in many short steps shared by racing drivers, each row copied exactly once', async () => {
    const { model, full } = bigFull(71);
    const created = await createImport(t.db, { fileName: full.fileName, data: await zipExtract(full) });
    const jobId = created.job.id;
    expect(created.job.status).toBe('preparing');

    // Three drivers, each call with no budget (one piece per step), watching progress.
    const seen: StagingProgress[] = [];
    let calls = 0;
    const worker = async () => {
      for (;;) {
        const r = await processBatch(t.db, { jobId, budgetMs: 0 });
        calls++;
        if (r.progress.job.staging) seen.push(r.progress.job.staging);
        if (r.progress.job.status !== 'preparing') return;
        // Now and then forget the paused readers: the next step must re-read from the committed position.
        if (calls % 3 === 0) forgetLiveReaders(t.db);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    // The steps named every enterprise as they copied (racing on the enterprise and denomination files).
    const wrongNames = () => t.db<{ wrong: number; named: number }[]>`
      select count(*) filter (where e.primary_name is distinct from (
               select d.denomination from denominations d
               where d.entity_number = e.enterprise_number and d.is_current and d.type_of_denomination = '001'
               order by array_position(${PRIMARY_NAME_LANGUAGES}::text[], d.language) nulls last, d.denomination
               limit 1))::int as wrong,
             count(e.primary_name)::int as named
      from enterprises e where e.is_current`;
    const [beforeFinalize] = await wrongNames();
    expect(beforeFinalize).toMatchObject({ wrong: 0 });
    expect(beforeFinalize?.named).toBeGreaterThan(100);
    // Written named, never updated: no step copied enterprises before the denominations were all in.
    const [order] = await t.db<{ firstEnterprises: string; lastDenominations: string; steps: number }[]>`
      select (select min(started_at) from import_job_batches where job_id = ${jobId} and table_name = 'enterprises')::text as "firstEnterprises",
             (select max(started_at) from import_job_batches where job_id = ${jobId} and table_name = 'denominations')::text as "lastDenominations",
             (select count(*)::int from import_job_batches where job_id = ${jobId} and table_name = 'denominations') as steps`;
    expect(order?.steps).toBeGreaterThan(1);
    expect(Date.parse(order!.firstEnterprises)).toBeGreaterThan(Date.parse(order!.lastDenominations));
    const status = await driveImport(t.db, { jobId, concurrency: 2, idleMs: 20 });
    expect(status.job.status).toBe('completed');
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
    expect((await wrongNames())[0]?.wrong).toBe(0);

    const files = await t.db<{ name: string; steps: number; rows: number; duplicates: number; sorted: boolean }[]>`
      select name, steps, rows, duplicates, sorted from import_job_files where job_id = ${jobId} order by file_index`;
    expect(files.find((f) => f.name === 'activity.csv')?.steps).toBeGreaterThan(2);
    expect(files.every((f) => f.sorted)).toBe(true);
    // The generator's one repeated activity line, dropped as it was read.
    expect(files.find((f) => f.name === 'activity.csv')?.duplicates).toBe(1);
    expect(status.totals.duplicate).toBe(1);
    // Every step of a directly copied file is one completed batch, logged once.
    const log = await t.db<{ batches: number; completed: number }[]>`
      select count(distinct b.id)::int as batches, count(*) filter (where a.outcome = 'completed')::int as completed
      from import_job_batches b join import_batch_attempts a on a.batch_id = b.id where b.job_id = ${jobId}`;
    expect(log[0]?.completed).toBe(log[0]?.batches);

    // Progress only grew, and ended at every byte.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytesDone).toBeGreaterThanOrEqual(Math.min(...seen.slice(i).map((s) => s.bytesDone)));
    const last = status.job.staging as StagingProgress;
    expect(last).toMatchObject({ filesDone: 8, file: null, bytesDone: last.bytesTotal });
    expect(new Set(seen.map((s) => s.filesDone)).size).toBeGreaterThanOrEqual(4);
    // The stored zip is dropped once the job is done.
    expect((await t.db`select count(*)::int as n from import_uploads`)[0]?.n).toBe(0);
  });

  it('stages an UPDATE in steps and applies it like a prepare in one go', async () => {
    const model = new RegisterModel(72);
    const full = model.full(1, 3_000, '2025-05-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const update = model.update(2, '2025-05-02', 0.9);
    const created = await createImport(t.db, { fileName: update.fileName, data: await zipExtract(update) });
    let steps = 0;
    for (;;) {
      const r = await processBatch(t.db, { jobId: created.job.id, budgetMs: 0 });
      steps += r.prepared.length;
      if (r.progress.job.status !== 'preparing') break;
    }
    expect(steps).toBeGreaterThan(15); // 15 files, one of them in more than one piece
    const status = await driveImport(t.db, { jobId: created.job.id, concurrency: 3, idleMs: 20 });
    expect(status.job.status).toBe('completed');
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });

  it('removes repeats at finalize when a file is not in key order, and counts them', async () => {
    const model = new RegisterModel(73);
    const full = model.full(1, 300, '2025-05-01');
    // Reverse the data lines of activity.csv: out of key order, its repeated line far from the original.
    const [header, ...lines] = (full.files['activity.csv'] as string).trimEnd().split('\n');
    const files = { ...full.files, 'activity.csv': [header, ...lines.reverse()].join('\n') + '\n' };
    const status = await importZip(t.db, full.fileName, await zipExtract({ ...full, files }));
    expect(status.job.status).toBe('completed');
    const [activity] = await t.db`select sorted, duplicates from import_job_files where job_id = ${status.job.id} and name = 'activity.csv'`;
    expect(activity).toEqual({ sorted: false, duplicates: 0 });
    expect(status.totals.duplicate).toBe(1);
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });

  it('carries on a prepare whose driver went away, from the position it committed', async () => {
    const { model, full } = bigFull(74);
    const data = await zipExtract(full);
    const created = await createImport(t.db, { fileName: full.fileName, data });
    // One driver takes a few steps and is gone (its paused readers with it).
    for (let i = 0; i < 4; i++) await processBatch(t.db, { jobId: created.job.id, budgetMs: 0 });
    forgetLiveReaders(t.db);
    // The same file again is the same import, resumable; any driver carries it on.
    await expect(createImport(t.db, { fileName: full.fileName, data })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { jobId: created.job.id, status: 'preparing', resumable: true },
    });
    const status = await driveImport(t.db, { jobId: created.job.id, concurrency: 2, idleMs: 20 });
    expect(status.job.status).toBe('completed');
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });

  it('cancels a FULL half-way through prepare, removing every row it had copied', async () => {
    const { full } = bigFull(75);
    const before = await tableChecksums(t.db);
    const created = await createImport(t.db, { fileName: full.fileName, data: await zipExtract(full) });
    for (let i = 0; i < 6; i++) await processBatch(t.db, { jobId: created.job.id, budgetMs: 0 });
    const copied = await Promise.all(DATA_TABLES.map((table) => currentRows(t.db, table)));
    expect(copied.reduce((n, rows) => n + rows.length, 0)).toBeGreaterThan(0);
    await cancelImport(t.db, { jobId: created.job.id, budgetMs: 0 });
    await driveImport(t.db, { jobId: created.job.id, concurrency: 1, idleMs: 20 });
    const status = await getJobStatus(t.db, created.job.id);
    expect(status.job.status).toBe('cancelled');
    expect(await tableChecksums(t.db)).toEqual(before);
    // Cancelled is void: the same file can be imported afresh.
    expect((await importZip(t.db, full.fileName, await zipExtract(full))).job.status).toBe('completed');
  });

  it('fails a FULL with a bad row late in a file and removes what earlier steps copied', async () => {
    const { full } = bigFull(76);
    const before = await tableChecksums(t.db);
    const text = full.files['activity.csv'] as string;
    const files = { ...full.files, 'activity.csv': `${text}"0200.000.044","001","2025","62010","MAIN"\n` };
    const created = await createImport(t.db, { fileName: full.fileName, data: await zipExtract({ ...full, files }), onError: 'fail-fast' });
    const status = await driveImport(t.db, { jobId: created.job.id, concurrency: 2, idleMs: 20 });
    expect(status.job.status).toBe('failed');
    expect(status.job.error?.message).toMatch(/activity\.csv line \d+, column EntityNumber: "0200\.000\.044"/);
    expect(await tableChecksums(t.db)).toEqual(before);
    const [kept] = await t.db`select file, value, code from import_errors where job_id = ${created.job.id}`;
    expect(kept).toEqual({ file: 'activity.csv', value: '0200.000.044', code: 'INVALID_NUMBER' });
  });

  it('keeps a step near its budget when the database is slower than the reading: one chunk per COPY, no chunk taken that cannot end by the deadline', async () => {
    // Activities in about 15 chunks.
    const model = new RegisterModel(77);
    const full = model.full(1, 30_000, '2025-05-01');
    // Every COPY into activities takes 500 ms more, and says how many rows it held, in which step.
    await t.db.unsafe(`
      create table copy_log (tx bigint, n int);
      create function slow_copy() returns trigger language plpgsql as $$
        begin perform pg_sleep(0.5); insert into copy_log select txid_current(), count(*) from added; return null; end $$;
      create trigger slow_copy after insert on activities referencing new table as added for each statement execute function slow_copy();`);
    const created = await createImport(t.db, { fileName: full.fileName, data: await zipExtract(full) });
    for (;;) {
      const r = await processBatch(t.db, { jobId: created.job.id, budgetMs: 1_200 });
      if (r.progress.job.status !== 'preparing') break;
    }
    const log = await t.db<{ tx: string; n: number }[]>`select tx::text, n from copy_log`;
    const perStep = new Map<string, number>();
    for (const l of log) perStep.set(l.tx, (perStep.get(l.tx) ?? 0) + 1);
    const rows = log.reduce((s, l) => s + l.n, 0);
    expect(rows).toBe(model.currentRows('activities').length);
    // A 512 KB piece of activity.csv holds about 11,000 rows: no COPY holds more than one.
    expect(Math.max(...log.map((l) => l.n))).toBeLessThan(20_000);
    // 1,200 ms at 500 ms a COPY or more: after three chunks (1,000 ms at least, 333 ms a chunk)
    // one more would end past the deadline, so no step takes a fourth (reading on to it did).
    expect(Math.max(...perStep.values())).toBeLessThanOrEqual(3);
    expect(log.length).toBeGreaterThan(perStep.size); // several COPYs in a step
  });

  it('an upload call keeps to its budget as a whole: the time spent storing the zip comes off its prepare steps', async () => {
    const { full } = bigFull(78);
    const steps = async (jobId: number) => {
      const [r] = await t.db<{ n: number }[]>`select coalesce(sum(steps), 0)::int as n from import_job_files where job_id = ${jobId}`;
      return r?.n;
    };
    // A call whose budget went on storing: one step (every call moves on), no more.
    const late = await startImport(t.db, { fileName: full.fileName, data: await zipExtract(full) }, 1_500, Date.now() - 10_000);
    expect(await steps(late.jobId)).toBe(1);
    await cancelImport(t.db, { jobId: late.jobId });
    await driveImport(t.db, { jobId: late.jobId, concurrency: 1, idleMs: 10 });
    // Started now, the same call takes several steps within its budget.
    const prompt = await startImport(t.db, { fileName: full.fileName, data: await zipExtract(full) }, 1_500);
    expect(await steps(prompt.jobId)).toBeGreaterThan(1);
  });
});
