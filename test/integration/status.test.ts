import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { batchSeconds } from '../../lib/imports/sql/batches';
import { historyPage } from '../../lib/imports/view/history';
import { registerState } from '../../lib/imports/view/home-summary';
import { getJobStatus } from '../../lib/imports/view/status';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { ident } from '../../lib/db/sql';
import { cancelImport, listJobs, pauseImport, resumeImport, setFaults } from '../../lib/imports';
import { driveImport } from '../../lib/imports/drive/loop';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { rollbackImport } from '../helpers/answers';
import { freshDb, type TestDb } from '../helpers/db';
import { fixtureZip, importZip } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

describe('status figures', () => {
  it('rows per second count only the time batches were being applied, not a pause between them', async () => {
    const model = new RegisterModel(9);
    const full = model.full(1, 300, '2025-03-01');
    const done = await importZip(t.db, full.fileName, await zipExtract(full), { batchSize: 100 });
    const jobId = done.job.id;
    const sql = t.db;
    const ids = (await sql<{ id: number }[]>`select id from import_job_batches where job_id = ${jobId} order by id`).map((r) => Number(r.id));
    expect(ids.length).toBeGreaterThanOrEqual(3);
    // Spans of 0–1 s and 0.5–2 s overlap (2 s busy); then a 60 s pause; then 5 s more (the rest, all at once).
    const t0 = '2025-01-01T00:00:00Z';
    const at = (s: number) => new Date(Date.parse(t0) + s * 1000).toISOString();
    await sql`update import_job_batches set started_at = ${at(0)}, completed_at = ${at(1)} where id = ${ids[0]!}`;
    await sql`update import_job_batches set started_at = ${at(0.5)}, completed_at = ${at(2)} where id = ${ids[1]!}`;
    await sql`update import_job_batches set started_at = ${at(62)}, completed_at = ${at(67)} where id = any(${ids.slice(2)}::bigint[])`;
    expect(await batchSeconds(sql, jobId)).toBeCloseTo(7, 6);
    const status = await getJobStatus(t.db, jobId);
    expect(status.rowsPerSecond).toBe(Math.round(status.rows.done / 7));
  });

  it('rows per second count the whole of each batch, from its start to the end of its work, for a FULL copied straight in and an UPDATE', async () => {
    // completed_at was once the start of the transaction that applied the batch (or copied the
    // rows in), so a batch's own work fell outside every span: "rows/s" ran into the millions.
    const model = new RegisterModel(11);
    const full = model.full(146, 300, '2025-03-01');
    const loaded = await importZip(t.db, full.fileName, await zipExtract(full), { batchSize: 100 });
    await setFaults(t.db, { delayMs: 200 }); // every UPDATE batch holds 200 ms in its transaction
    const update = model.update(147, '2025-03-02', 0.2);
    const applied = await importZip(t.db, update.fileName, await zipExtract(update), { batchSize: 100 });
    await setFaults(t.db, {});
    for (const jobId of [loaded.job.id, applied.job.id]) {
      const spans = await t.db<{ ms: number; span: number }[]>`
        select duration_ms::int as ms, (extract(epoch from completed_at - started_at) * 1000)::float8 as span
        from import_job_batches where job_id = ${jobId}`;
      expect(spans.length, `import #${jobId}`).toBeGreaterThanOrEqual(3);
      for (const b of spans) expect(b.span, `import #${jobId}: a span holds its batch's whole duration`).toBeGreaterThanOrEqual(b.ms - 20);
    }
    // Two drivers: at most two batches at a time, each at least 200 ms.
    const batches = (await t.db<{ n: number }[]>`select count(*)::int as n from import_job_batches where job_id = ${applied.job.id}`)[0]!.n;
    const least = (batches * 0.2) / 2;
    expect(await batchSeconds(t.db, applied.job.id)).toBeGreaterThanOrEqual(least * 0.99);
    const status = await getJobStatus(t.db, applied.job.id);
    expect(status.rowsPerSecond).toBeLessThanOrEqual(status.rows.done / (least * 0.99));
  });

  it("an import's duration leaves out the time it was paused, and a cancel ends the pause", async () => {
    const model = new RegisterModel(12);
    const full = model.full(146, 100, '2025-03-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const pausedFor = async (update: ReturnType<RegisterModel['update']>, then: 'resume' | 'cancel') => {
      const started = Date.now();
      const prepared = await prepareImport(t.db, { fileName: update.fileName, data: await zipExtract(update) });
      await pauseImport(t.db, { jobId: prepared.job.id });
      await new Promise((r) => setTimeout(r, 2_000));
      if (then === 'resume') await resumeImport(t.db, { jobId: prepared.job.id });
      else await cancelImport(t.db, { jobId: prepared.job.id });
      const done = await driveImport(t.db, { jobId: prepared.job.id, concurrency: 1, idleMs: 10 });
      const wall = (Date.now() - started) / 1000;
      const [listed] = await listJobs(t.db, 1);
      expect(listed!.id).toBe(done.job.id);
      return { wall, duration: listed!.durationSeconds, status: done.job.status };
    };
    const resumed = await pausedFor(model.update(147, '2025-03-02'), 'resume');
    expect(resumed.status).toBe('completed');
    expect(resumed.duration).toBeLessThanOrEqual(resumed.wall - 1.9);
    const cancelled = await pausedFor(model.update(148, '2025-03-03'), 'cancel');
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.duration).toBeLessThanOrEqual(cancelled.wall - 1.9);
    const [row] = await t.db<{ paused_at: Date | null }[]>`select paused_at from import_jobs where id = (select max(id) from import_jobs)`;
    expect(row!.paused_at).toBeNull();
  });

  it('the register state counts exactly the current rows of every table, through an update and its rollback', async () => {
    const model = new RegisterModel(10);
    const full = model.full(146, 400, '2025-03-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const update = model.update(147, '2025-03-02');
    const applied = await importZip(t.db, update.fileName, await zipExtract(update));
    const sql = t.db;
    const actual = async () => {
      const out: { table: string; rows: number }[] = [];
      for (const table of [...DATA_TABLES, 'codes']) {
        const [r] = await sql<{ n: number }[]>`select count(*)::int as n from ${ident(sql, table)} where is_current`;
        out.push({ table, rows: r?.n ?? 0 });
      }
      return out;
    };
    const state = await registerState(t.db);
    expect(state.latest).toMatchObject({ jobId: applied.job.id, extractNumber: 147, extractType: 'update', snapshotDate: '2025-03-02' });
    expect(state.active).toBeNull();
    expect(state.tables).toEqual(await actual());
    expect(state.tables.find((x) => x.table === 'enterprises')?.rows).toBe(model.currentRows('enterprises').length);

    let rolled = await rollbackImport(t.db, { jobId: applied.job.id, budgetMs: 60_000 });
    while (rolled.job.status === 'rolling_back') rolled = await rollbackImport(t.db, { jobId: applied.job.id, budgetMs: 60_000 });
    const after = await registerState(t.db);
    expect(after.latest?.extractNumber).toBe(146);
    expect(after.tables).toEqual(await actual());

    // The history, filtered and paged; a rolled-back import's duration stops where its undo began.
    const page1 = await historyPage(t.db, { limit: 1 });
    expect(page1).toMatchObject({ total: 2, limit: 1, offset: 0 });
    expect(page1.imports.map((j) => j.extractNumber)).toEqual([147]);
    expect((await historyPage(t.db, { limit: 1, offset: 1 })).imports.map((j) => j.extractNumber)).toEqual([146]);
    expect((await historyPage(t.db, { statuses: ['rolled_back'] })).imports.map((j) => j.id)).toEqual([applied.job.id]);
    expect((await historyPage(t.db, { extractType: 'full' })).imports.map((j) => j.extractNumber)).toEqual([146]);
    expect((await historyPage(t.db, { statuses: ['failed'] })).total).toBe(0);
    const rolledBack = page1.imports[0]!;
    const undoStart = Date.parse(rolledBack.undo?.startedAt as string);
    expect(rolledBack.durationSeconds).toBeCloseTo((undoStart - new Date(rolledBack.createdAt).getTime()) / 1000, 3);
  });

  it('warns when an update\'s deletes nearly all find no current row (the register is not at its base), and not otherwise', async () => {
    const model = new RegisterModel(11);
    const full = model.full(145, 300, '2025-10-09');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const matching = model.update(146, '2025-10-10');
    const fine = await importZip(t.db, matching.fileName, await zipExtract(matching));
    expect(fine.baseWarning).toBeNull();
    // The real extract 147's deletes name real enterprises, none of which this generated register holds.
    const real = await importZip(t.db, 'KboOpenData_0147_2025_10_12_Update.zip', fixtureZip());
    expect(real.baseWarning).toMatch(/^[\d,]+ of this update's [\d,]+ deletes found no current row: the register does not look like the state this UPDATE was made for/);
  });
});
