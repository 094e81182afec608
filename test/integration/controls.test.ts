import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import type { StagingProgress } from '../../lib/db/schema';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { cancelImport, createImport, pauseImport, resumeImport, rollbackImport } from '../helpers/answers';
import { cronTick } from '../../lib/imports/drive/cron';
import { driveImport } from '../../lib/imports/drive/loop';
import { setFaults } from '../../lib/imports';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { MAX_TRANSIENT_ATTEMPTS } from '../../lib/imports/jobs/process';
import { processBatch } from '../helpers/answers';
import { retryBatches } from '../helpers/answers';
import { getJobStatus } from '../../lib/imports/view/status';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, importZip, tableChecksums } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** A FULL imported, and the next UPDATE prepared with small batches (not yet applied). */
async function fullThenUpdate(seed: number) {
  const model = new RegisterModel(seed);
  const full = model.full(146, 300, '2025-03-01');
  await importZip(t.db, full.fileName, await zipExtract(full));
  const before = await tableChecksums(t.db);
  const update = model.update(147, '2025-03-02');
  const data = await zipExtract(update);
  const prepared = await prepareImport(t.db, { fileName: update.fileName, data, batchSize: 20 });
  return { model, before, update, data, jobId: prepared.job.id, total: prepared.batches.total };
}

const step = (jobId: number) => processBatch(t.db, { jobId, budgetMs: 0 });

describe('pause and resume', () => {
  it('stops claims while paused and completes after resume, each batch applied once', async () => {
    const { model, jobId, total } = await fullThenUpdate(21);
    expect(total).toBeGreaterThan(10);
    await step(jobId);
    await step(jobId);
    const paused = await pauseImport(t.db, { jobId });
    expect(paused.job.status).toBe('paused');
    expect(paused.actions).toMatchObject({ pause: false, resume: true, cancel: true });

    const idle = await step(jobId);
    expect(idle.processed).toEqual([]);
    expect(idle.progress.batches.completed).toBe(2);
    await expect(pauseImport(t.db, { jobId })).resolves.toBeTruthy(); // pausing twice is harmless

    expect((await resumeImport(t.db, { jobId })).job.status).toBe('running');
    const done = await driveImport(t.db, { jobId, concurrency: 3, idleMs: 10 });
    expect(done.job.status).toBe('completed');
    const batches = await t.db`select attempts from import_job_batches where job_id = ${jobId}`;
    expect(batches.every((b) => b.attempts === 1)).toBe(true);
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });

  it('pauses a FULL while it is being staged: nothing is read while paused; resume stages on from there and completes it', async () => {
    const model = new RegisterModel(24);
    const full = model.full(146, 2_000, '2025-03-01');
    const created = await createImport(t.db, { fileName: full.fileName, data: await zipExtract(full) });
    const jobId = created.job.id;
    await step(jobId);
    await step(jobId);
    const paused = await pauseImport(t.db, { jobId });
    expect(paused.job.status).toBe('paused');
    expect(paused.actions).toMatchObject({ pause: false, resume: true, cancel: true });
    const held = paused.job.staging as StagingProgress;
    expect(held.filesDone).toBeLessThan(held.files);
    const idle = await step(jobId);
    expect(idle.prepared).toEqual([]);
    expect((idle.progress.job.staging as StagingProgress).bytesDone).toBe(held.bytesDone);

    expect((await resumeImport(t.db, { jobId })).job.status).toBe('preparing');
    expect((await resumeImport(t.db, { jobId })).job.status).toBe('preparing'); // resuming twice is harmless
    const done = await driveImport(t.db, { jobId, concurrency: 2, idleMs: 10 });
    expect(done.job.status).toBe('completed');
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });

  it('pauses a cancel and a rollback between their undo steps; resume finishes each, the tables exactly as before', async () => {
    const { before, jobId } = await fullThenUpdate(25);
    for (let i = 0; i < 6; i++) await step(jobId);
    // Each undo step undoes one table, so the undo is still under way when it is paused.
    {
      let status = await cancelImport(t.db, { jobId, budgetMs: 0 });
      status = (await step(jobId)).progress;
      expect(status.job.status).toBe('cancelling');
      const paused = await pauseImport(t.db, { jobId });
      expect(paused.job.status).toBe('paused');
      expect(paused.actions).toMatchObject({ pause: false, resume: true, cancel: false, retry: false });
      const undone = paused.job.undo;
      const idle = await step(jobId);
      expect(idle.undone).toEqual([]);
      expect(idle.progress.job.undo?.removed).toEqual(undone?.removed);
      await expect(cancelImport(t.db, { jobId })).rejects.toThrow(/its cancel is paused; resume it to finish undoing/);
      expect((await resumeImport(t.db, { jobId })).job.status).toBe('cancelling');
      while (status.job.status === 'cancelling') status = (await step(jobId)).progress;
      expect(status.job.status).toBe('cancelled');
      expect(await tableChecksums(t.db)).toEqual(before);

      // The FULL is the latest completed import: roll it back, pausing half-way.
      const [full] = await t.db<{ id: number }[]>`select id from import_jobs where status = 'completed'`;
      const fullId = full!.id;
      await rollbackImport(t.db, { jobId: fullId, budgetMs: 0 });
      await step(fullId);
      expect((await pauseImport(t.db, { jobId: fullId })).job.status).toBe('paused');
      expect((await step(fullId)).undone).toEqual([]);
      expect((await resumeImport(t.db, { jobId: fullId })).job.status).toBe('rolling_back');
      let rolled = (await step(fullId)).progress;
      while (rolled.job.status === 'rolling_back') rolled = (await step(fullId)).progress;
      expect(rolled.job.status).toBe('rolled_back');
      expect(rolled.job.undo?.pausedFrom).toBeUndefined();
    }
  });

  it('hands back a batch whose driver finds the job paused, without counting an attempt', async () => {
    const { jobId } = await fullThenUpdate(22);
    await setFaults(t.db, { stallMs: 300 });
    const inFlight = step(jobId);
    await new Promise((r) => setTimeout(r, 50));
    await pauseImport(t.db, { jobId });
    const { processed } = await inFlight;
    expect(processed.map((p) => p.status)).toEqual(['released']);
    const [b] = await t.db`select status, attempts, lease_token from import_job_batches where id = ${processed[0]!.id}`;
    expect(b).toMatchObject({ status: 'pending', attempts: 0, lease_token: null });
  });

  it('refuses to pause what is not running, and to resume what is not paused', async () => {
    const { jobId } = await fullThenUpdate(23);
    expect((await resumeImport(t.db, { jobId })).job.status).toBe('running'); // resuming a running import is harmless
    await driveImport(t.db, { jobId, concurrency: 2, idleMs: 10 });
    await expect(pauseImport(t.db, { jobId })).rejects.toThrow(/is completed; only an import being prepared, running, cancelled or rolled back can be paused/);
    await expect(resumeImport(t.db, { jobId })).rejects.toThrow(/is completed; only a paused import can be resumed/);
  });
});

describe('cancel', () => {
  it('undoes the applied batches, even one in flight, and leaves every table exactly as before', async () => {
    const { before, jobId, data, update } = await fullThenUpdate(31);
    for (let i = 0; i < 6; i++) await step(jobId);
    expect(await tableChecksums(t.db)).not.toEqual(before);

    await setFaults(t.db, { delayMs: 300 });
    const inFlight = step(jobId); // a batch applying while the cancel arrives
    await new Promise((r) => setTimeout(r, 50));
    const cancelling = cancelImport(t.db, { jobId, budgetMs: 0 });
    const [flown] = (await inFlight).processed;
    expect(flown?.status).toBe('completed'); // it committed first; the undo waited for it and removes it too
    await cancelling;
    await setFaults(t.db, {});
    let status = await getJobStatus(t.db, jobId);
    while (status.job.status === 'cancelling') status = (await step(jobId)).progress;
    expect(status.job.status).toBe('cancelled');
    expect(status.actions).toMatchObject({ pause: false, resume: false, cancel: false, rollback: false });
    expect(await tableChecksums(t.db)).toEqual(before);
    const [staged] = await t.db`select count(*)::int as n from import_staging_activities where job_id = ${jobId}`;
    expect(staged?.n).toBe(0);

    // The file counts as not imported: it can be uploaded again, and then applies in full.
    const again = await importZip(t.db, update.fileName, data);
    expect(again.job.status).toBe('completed');
  });

  it('cancels a paused import that applied nothing at once, and refuses to cancel a completed one', async () => {
    const { before, jobId } = await fullThenUpdate(32);
    await pauseImport(t.db, { jobId });
    expect((await cancelImport(t.db, { jobId })).job.status).toBe('cancelled');
    expect(await tableChecksums(t.db)).toEqual(before);
    const [full] = await t.db`select id from import_jobs where status = 'completed'`;
    await expect(cancelImport(t.db, { jobId: full!.id })).rejects.toThrow(/roll it back instead/);
  });
});

describe('rollback', () => {
  it('returns every table, codes and primary names included, to its state before the import', async () => {
    const model = new RegisterModel(41);
    const empty = await tableChecksums(t.db);
    const full = model.full(146, 300, '2025-03-01');
    const first = await importZip(t.db, full.fileName, await zipExtract(full));
    const afterFull = await tableChecksums(t.db);
    const u1 = model.update(147, '2025-03-02');
    const second = await importZip(t.db, u1.fileName, await zipExtract(u1), { batchSize: 30 });
    const afterU1 = await tableChecksums(t.db);
    const u2 = model.update(148, '2025-03-03');
    const third = await importZip(t.db, u2.fileName, await zipExtract(u2), { batchSize: 30 });

    await expect(rollbackImport(t.db, { jobId: second.job.id })).rejects.toThrow(
      `Import #${third.job.id} (extract 148) was applied after import #${second.job.id}`,
    );
    expect((await getJobStatus(t.db, second.job.id)).actions.rollback).toBe(false);
    expect((await getJobStatus(t.db, third.job.id)).actions.rollback).toBe(true);

    for (const [job, expected] of [
      [third, afterU1],
      [second, afterFull],
      [first, empty],
    ] as const) {
      let status = await rollbackImport(t.db, { jobId: job.job.id, budgetMs: 0 });
      while (status.job.status === 'rolling_back') status = (await step(job.job.id)).progress;
      expect(status.job.status).toBe('rolled_back');
      expect(await tableChecksums(t.db)).toEqual(expected);
    }
    // With everything rolled back, the FULL can be imported again.
    expect((await importZip(t.db, full.fileName, await zipExtract(full))).job.status).toBe('completed');
    expect(await tableChecksums(t.db)).not.toEqual(empty);
  });
});

describe('fault switch and retry', () => {
  it('fails a batch on demand, keeps the job running, and a retry completes it', async () => {
    const { model, jobId } = await fullThenUpdate(51);
    await setFaults(t.db, { failBatches: 1, table: 'activities' });
    const stopped = await driveImport(t.db, { jobId, concurrency: 2, idleMs: 10 });
    expect(stopped.job.status).toBe('running');
    expect(stopped.failures).toHaveLength(1);
    expect(stopped.failures[0]?.error).toMatch(/Injected test fault in batch \d+ of activities/);
    expect(stopped.actions).toMatchObject({ retry: true, finalize: false });

    await retryBatches(t.db, { jobId, batchId: stopped.failures[0]!.id });
    const done = await driveImport(t.db, { jobId, concurrency: 2, idleMs: 10 });
    expect(done.job.status).toBe('completed');
    const [b] = await t.db`select attempts from import_job_batches where id = ${stopped.failures[0]!.id}`;
    expect(b?.attempts).toBe(2);
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });
});

describe('cron tick', () => {
  it('drives the active import within its budget, carries on at the next tick, and idles when nothing is active', async () => {
    const { model, jobId } = await fullThenUpdate(81);
    await setFaults(t.db, { delayMs: 150 });
    const first = await cronTick(t.db, 300);
    expect(first.job?.job.id).toBe(jobId);
    expect(first.job?.job.status).toBe('running'); // the budget ran out first
    await setFaults(t.db, {});
    const second = await cronTick(t.db, 30_000);
    expect(second.job?.job.status).toBe('completed');
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
    expect(await cronTick(t.db, 1_000)).toEqual({ job: null });

    // A rollback requested with no budget of its own is finished by the next tick.
    await rollbackImport(t.db, { jobId, budgetMs: 0 });
    const undone = await cronTick(t.db, 30_000);
    expect(undone.job?.job.status).toBe('rolled_back');
  });
});

describe('transient database errors', () => {
  it('are retried in place with backoff, each attempt logged, and the batch applied once', async () => {
    const { model, jobId } = await fullThenUpdate(91);
    await setFaults(t.db, { transientFailures: 2 });
    const first = await processBatch(t.db, { jobId, budgetMs: 0 });
    expect(first.processed.map((p) => [p.status, p.attempt])).toEqual([['completed', 3]]);
    const log = await t.db`
      select attempt, outcome, error from import_batch_attempts where batch_id = ${first.processed[0]!.id} order by id`;
    expect(log.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'retried'],
      [2, 'retried'],
      [3, 'completed'],
    ]);
    expect(log[0]?.error).toMatch(/\(40001\)/);

    // More than the bound: the batch fails, naming the attempts, and a retry completes it.
    await setFaults(t.db, { transientFailures: MAX_TRANSIENT_ATTEMPTS });
    const second = await processBatch(t.db, { jobId, budgetMs: 0 });
    expect(second.processed[0]).toMatchObject({ status: 'failed', attempt: MAX_TRANSIENT_ATTEMPTS });
    expect(second.processed[0]?.error).toMatch(/refused this batch \(40001\) after 3 attempts/);
    await retryBatches(t.db, { jobId });
    const done = await driveImport(t.db, { jobId, concurrency: 2, idleMs: 10 });
    expect(done.job.status).toBe('completed');
    const [once] = await t.db`
      select count(*) filter (where n <> 1)::int as not_once, count(*)::int as batches
      from (select b.id, count(a.id) filter (where a.outcome = 'completed') as n
            from import_job_batches b left join import_batch_attempts a on a.batch_id = b.id
            where b.job_id = ${jobId} group by b.id) x`;
    expect(once).toEqual({ not_once: 0, batches: done.batches.total });
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });
});
