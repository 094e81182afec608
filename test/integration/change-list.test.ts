/** An import's change list, worked out once in parts after it completes, then read page by page. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { cronTick } from '../../lib/imports/drive/cron';
import { driveImport, type DriveStep } from '../../lib/imports/drive/loop';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { changeListSteps } from '../../lib/imports/jobs/change-list';
import { undoSteps } from '../../lib/imports/jobs/undo';
import { classified, planChangeParts } from '../../lib/imports/sql/changes';
import { KBO_TABLES } from '../../lib/kbo/spec';
import { importChanges, importChangesCsv } from '../../lib/register';
import { rollbackImport } from '../helpers/answers';
import { freshDb, holdInOtherConnection, type TestDb } from '../helpers/db';
import { importZip, refusal } from '../helpers/import';

// Undo steps of a few rows, so a small import's rollback takes its change list in several chunks.
const UNDO_CHUNK = 25;
process.env.IMPORT_UNDO_CHUNK_ROWS = String(UNDO_CHUNK);

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

type Row = { t: string; n: string; change: string; started: number; ended: number };

/** The list as one pass over the whole extract computes it (what every page did before). */
async function wholeList(extract: number): Promise<Row[]> {
  const out: Row[] = [];
  for (const table of KBO_TABLES) out.push(...(await t.db<Row[]>`select t, n, change, started, ended from (${classified(t.db, table, extract, null)}) c where change <> 'reissued'`));
  return out.sort((a, b) => `${a.t}\u0000${a.n}`.localeCompare(`${b.t}\u0000${b.n}`));
}

async function kept(jobId: number): Promise<Row[]> {
  const rows = await t.db<Row[]>`select t, n, change, started, ended from import_changes where job_id = ${jobId}`;
  return [...rows].sort((a, b) => `${a.t}\u0000${a.n}`.localeCompare(`${b.t}\u0000${b.n}`));
}

async function allPages(jobId: number): Promise<number> {
  let n = 0;
  for (let page = 1; ; page++) {
    const p = await importChanges(t.db, jobId, { page });
    n += p.changes.length;
    if (!p.hasMore) return n;
  }
}

/** A FULL of 100 enterprises, then UPDATE 2 of `churn` imported on it: its job and the change list it kept. */
async function updateOnFull(seed: number, churn: number): Promise<{ job: number; before: Row[] }> {
  const model = new RegisterModel(seed);
  const full = model.full(1, 100, '2025-03-01');
  await importZip(t.db, full.fileName, await zipExtract(full));
  const update = model.update(2, '2025-03-02', churn);
  const job = (await importZip(t.db, update.fileName, await zipExtract(update))).job.id;
  return { job, before: await kept(job) };
}

/** A FULL of `enterprises`, then a resync FULL after drift, prepared in small batches (many key ranges). */
async function driftedResync(seed: number, enterprises: number) {
  const model = new RegisterModel(seed);
  const full = model.full(1, enterprises, '2025-03-01');
  await importZip(t.db, full.fileName, await zipExtract(full));
  model.drift(0.2);
  const resync = model.snapshot(3, '2025-03-03');
  const jobId = (await prepareImport(t.db, { fileName: resync.fileName, data: await zipExtract(resync), batchSize: 40 })).job.id;
  return { jobId, extract: 3 };
}

describe('the change list', () => {
  it('of a resync is worked out once in parts (one per key range), shared by drivers, equal to one pass over the whole extract', async () => {
    const { jobId, extract } = await driftedResync(71, 300);
    const steps: DriveStep[] = [];
    await driveImport(t.db, { jobId, concurrency: 3, idleMs: 10, budgetMs: 0, onStep: (s) => steps.push(s) });
    const parts = (await t.db<{ parts: number }[]>`select count(*)::int as parts from import_change_parts where job_id = ${jobId} and done`)[0]!.parts;
    expect(parts).toBeGreaterThan(KBO_TABLES.length);
    // Every part by exactly one step (finalize had no time for any).
    expect(steps.reduce((s, x) => s + x.listed, 0)).toBe(parts);
    const expected = await wholeList(extract);
    expect(expected.length).toBeGreaterThan(50);
    expect(await kept(jobId)).toEqual(expected);
    expect(await allPages(jobId)).toBe(expected.length);
    const page = await importChanges(t.db, jobId, { table: 'activities', change: 'modified' });
    expect(page.changes.every((c) => c.table === 'activities' && c.change === 'modified')).toBe(true);
  });

  it('of an UPDATE touching many entities is cut into key ranges of the keys it touched, equal to one pass', async () => {
    const model = new RegisterModel(74);
    const full = model.full(1, 200, '2025-03-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const update = model.update(2, '2025-03-02', 0.4);
    const job = (await importZip(t.db, update.fileName, await zipExtract(update))).job.id;
    const expected = await wholeList(2);
    expect(await kept(job)).toEqual(expected);
    // Planned again with parts of 7 keys: many ranges, the same list.
    await t.db`delete from import_changes where job_id = ${job}`;
    await t.db`delete from import_change_parts where job_id = ${job}`;
    await t.db.begin((tx) => planChangeParts(tx, job, false, 2, { partKeys: 7 }));
    const parts = (await t.db<{ parts: number }[]>`select count(*)::int as parts from import_change_parts where job_id = ${job}`)[0]!.parts;
    expect(parts).toBeGreaterThan(3 * KBO_TABLES.length);
    while (await changeListSteps(t.db, { id: job, extractNumber: 2 }, 0, true)) void 0;
    expect(await kept(job)).toEqual(expected);

    // Cut from a sample of each table's pages (as a table the import touched heavily is): the
    // ranges still cover every key, so the same list, whatever the sample held.
    for (const sampleRows of [1, 150, 600]) {
      await t.db`delete from import_changes where job_id = ${job}`;
      await t.db`delete from import_change_parts where job_id = ${job}`;
      await t.db`analyze`; // reltuples, which the sample's share is taken from
      await t.db.begin((tx) => planChangeParts(tx, job, false, 2, { partKeys: 7, exactRows: 0, sampleRows }));
      const sampled = await t.db<{ t: string; lo: string | null; hi: string | null }[]>`select table_name as t, lo, hi from import_change_parts where job_id = ${job} order by part`;
      // Per table: from an open start to an open end, each range starting where the last ended.
      for (const table of KBO_TABLES.map((k) => k.table)) {
        const own = sampled.filter((r) => r.t === table);
        expect(own.length, table).toBeGreaterThan(0);
        expect(own[0]!.lo, table).toBeNull();
        expect(own[own.length - 1]!.hi, table).toBeNull();
        for (let i = 1; i < own.length; i++) expect(own[i]!.lo, table).toBe(own[i - 1]!.hi);
      }
      if (sampleRows === 600) expect(sampled.length, 'a sample of a few hundred rows cuts some tables').toBeGreaterThan(KBO_TABLES.length);
      while (await changeListSteps(t.db, { id: job, extractNumber: 2 }, 0, true)) void 0;
      expect(await kept(job), `sampleRows ${sampleRows}`).toEqual(expected);
    }
  });

  it('says how far it has come while parts are left, and the CSV waits for it', async () => {
    const { jobId } = await driftedResync(72, 150);
    await driveImport(t.db, { jobId, concurrency: 1, idleMs: 10, finalize: false });
    const { finalizeImport } = await import('../../lib/imports/jobs/finalize');
    await finalizeImport(t.db, { jobId, budgetMs: 0 });
    const page = await importChanges(t.db, jobId);
    expect(page.computing).toMatchObject({ done: 0 });
    expect(page.computing!.total).toBeGreaterThan(KBO_TABLES.length);
    expect(page.changes).toEqual([]);
    const csv = await refusal((async () => {
      for await (const _ of importChangesCsv(t.db, jobId)) void _;
    })());
    expect(csv.code).toBe('PRECONDITION_FAILED');
    expect(csv.message).toMatch(/still being worked out \(0 of \d+ parts\)/);
    // The cron finishes it.
    for (let i = 0; i < 20 && (await importChanges(t.db, jobId)).computing; i++) await cronTick(t.db, 1_000);
    expect((await importChanges(t.db, jobId)).computing).toBeNull();
  });

  it('of an import completed before lists were kept is planned on first read and worked out by the cron; a rollback forgets it', async () => {
    const { job, before } = await updateOnFull(73, 0.2);
    expect(before.length).toBeGreaterThan(0);
    expect(before).toEqual(await wholeList(2));
    await t.db`delete from import_changes where job_id = ${job}`;
    await t.db`delete from import_change_parts where job_id = ${job}`;

    expect((await importChanges(t.db, job)).computing).toEqual({ done: 0, total: KBO_TABLES.length });
    await cronTick(t.db, 5_000);
    expect((await importChanges(t.db, job)).computing).toBeNull();
    expect(await kept(job)).toEqual(before);

    await rollbackImport(t.db, { jobId: job });
    await driveImport(t.db, { jobId: job, concurrency: 1, idleMs: 10 });
    expect(await kept(job)).toEqual([]);
    expect(await importChanges(t.db, job)).toMatchObject({ changes: [], computing: null });
  });

  it('a rollback leaves its list to the undo steps, a chunk each once the rows are undone, and nothing lists it meanwhile', async () => {
    const { job, before } = await updateOnFull(74, 0.3);
    expect(before.length).toBeGreaterThan(2 * UNDO_CHUNK);

    // The request itself deletes none of it (a NACE spike's list is millions of rows)...
    await rollbackImport(t.db, { jobId: job });
    expect(await kept(job)).toHaveLength(before.length);
    // ...and an import that is not completed lists nothing, on the page or as CSV.
    expect(await importChanges(t.db, job)).toMatchObject({ summary: [], changes: [], computing: null });
    let csv = '';
    for await (const piece of importChangesCsv(t.db, job)) csv += piece;
    expect(csv.trim().split('\n')).toHaveLength(1);

    const chunks: number[] = [];
    for (;;) {
      const [step] = await undoSteps(t.db, job, 0);
      if (!step || step.finished) break;
      if (step.table === null) chunks.push(step.removed);
      else expect(chunks).toEqual([]); // the register's rows first
    }
    expect(chunks.length).toBeGreaterThan(2);
    expect(Math.max(...chunks)).toBe(UNDO_CHUNK);
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(before.length);
    expect(await kept(job)).toEqual([]);
    expect((await t.db<{ n: number }[]>`select count(*)::int as n from import_change_parts where job_id = ${job}`)[0]?.n).toBe(0);
    expect((await t.db<{ status: string }[]>`select status from import_jobs where id = ${job}`)[0]?.status).toBe('rolled_back');
  });

  it('a part is taken only after the job row, so a rollback that holds the row and deletes the parts never deadlocks with it', async () => {
    const { jobId } = await driftedResync(73, 120);
    await driveImport(t.db, { jobId, concurrency: 1, idleMs: 10, finalize: false });
    const { finalizeImport } = await import('../../lib/imports/jobs/finalize');
    await finalizeImport(t.db, { jobId, budgetMs: 0 });
    const parts = async () => (await t.db<{ n: number }[]>`select count(*)::int as n from import_change_parts where job_id = ${jobId} and not done`)[0]?.n;
    const free = async () =>
      (await t.db.begin((tx) => tx<{ n: number }[]>`select count(*)::int as n from (select 1 from import_change_parts where job_id = ${jobId} for update skip locked) x`))[0]?.n;
    const left = await parts();
    expect(left).toBeGreaterThan(1);
    // What a rollback holds while it deletes the parts: the job's row, for update.
    const rollback = await holdInOtherConnection(t.url, (tx) => tx`select 1 from import_jobs where id = ${jobId} for update`);
    // A change-list step meanwhile waits for that row before it takes any part.
    const step = changeListSteps(t.db, { id: jobId, extractNumber: 3 }, Date.now(), true);
    await new Promise((r) => setTimeout(r, 300));
    expect(await free()).toBe(left);
    await rollback.release();
    expect(await step).toBe(1);
    expect(await parts()).toBe((left as number) - 1);
  });
});
