import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { finalizeImport } from '../helpers/answers';
import { prepareImport } from '../../lib/imports/drive/prepare';
import type { BatchOutcome } from '../../lib/imports/jobs/process';
import { setFaults } from '../../lib/imports';
import { claimBatch } from '../../lib/imports/state/batch-moves';
import { processBatch } from '../helpers/answers';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, importZip } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

describe('process-batch under concurrency', () => {
  it('applies each batch exactly once when six workers race for them', async () => {
    const model = new RegisterModel(5);
    const full = model.full(1, 600, '2025-03-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const extract = model.update(2, '2025-03-02', 0.5);
    const prepared = await prepareImport(t.db, { fileName: extract.fileName, data: await zipExtract(extract), batchSize: 100 });
    expect(prepared.batches.total).toBeGreaterThan(40);
    // Tables cut into a multiple of 32 batches are applied a partition per batch (lib/db/partitions.ts).
    const [aligned] = await t.db<{ n: number; tables: number }[]>`
      select count(*)::int as n, count(distinct table_name)::int as tables from import_job_batches where job_id = ${prepared.job.id} and partition is not null`;
    expect(aligned?.tables).toBeGreaterThan(0);
    const [mixed] = await t.db<{ n: number }[]>`
      select count(*)::int as n from import_job_batches where job_id = ${prepared.job.id} and partition is not null and partition <> batch_number % 32`;
    expect(mixed?.n).toBe(0);

    const outcomes: BatchOutcome[] = [];
    const worker = async () => {
      while (true) {
        const { processed, progress } = await processBatch(t.db, { jobId: prepared.job.id, budgetMs: 0 });
        outcomes.push(...processed);
        if (processed.length === 0 && progress.batches.pending === 0 && progress.batches.processing === 0) return;
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));

    const completed = outcomes.filter((o) => o.status === 'completed');
    expect(completed.length).toBe(prepared.batches.total);
    expect(new Set(completed.map((o) => o.id)).size).toBe(prepared.batches.total);
    const attempts = await t.db`select attempts, status from import_job_batches where job_id = ${prepared.job.id}`;
    expect(attempts.every((b) => b.attempts === 1 && b.status === 'completed')).toBe(true);
    // The batch log agrees: one `completed` attempt per batch, written in the batch's own transaction.
    const log = await t.db`
      select batch_id, count(*) filter (where outcome = 'completed')::int as completed
      from import_batch_attempts where job_id = ${prepared.job.id} group by batch_id`;
    expect(log).toHaveLength(prepared.batches.total);
    expect(log.every((r) => r.completed === 1)).toBe(true);

    await finalizeImport(t.db, { jobId: prepared.job.id });
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });

  it('keeps the lease of a batch its driver still holds, with a heartbeat, however short the lease', async () => {
    const model = new RegisterModel(10);
    const full = model.full(1, 200, '2025-03-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const extract = model.update(2, '2025-03-02', 0.5);
    const prepared = await prepareImport(t.db, { fileName: extract.fileName, data: await zipExtract(extract), batchSize: 100 });
    const jobId = prepared.job.id;
    expect(prepared.batches.total).toBeGreaterThan(2);
    // Every driver of this process now holds its batch 4.5 s before applying it: longer than its 3 s lease.
    await setFaults(t.db, { stallMs: 4_500 });
    const slow = processBatch(t.db, { jobId, budgetMs: 0, leaseSeconds: 3 });
    await new Promise((r) => setTimeout(r, 3_800));
    // Past the first lease: without the heartbeat, this driver would take the slow one's batch.
    const other = processBatch(t.db, { jobId, budgetMs: 0, leaseSeconds: 3 });
    const [first, second] = await Promise.all([slow, other]);
    expect(first.processed).toMatchObject([{ status: 'completed', attempt: 1 }]);
    expect(second.processed).toMatchObject([{ status: 'completed', attempt: 1 }]);
    expect(second.processed[0]?.id).not.toBe(first.processed[0]?.id);
    const outcomes = await t.db`select distinct outcome from import_batch_attempts where job_id = ${jobId}`;
    expect(outcomes.map((o) => o.outcome)).toEqual(['completed']);
  });

  it('gives a batch to another driver only after its lease expires, and never applies it twice', async () => {
    const model = new RegisterModel(9);
    const extract = model.full(1, 50, '2025-03-01');
    const prepared = await prepareImport(t.db, { fileName: extract.fileName, data: await zipExtract(extract) });
    const jobId = prepared.job.id;

    // A driver claims a batch and dies before applying it.
    const dead = await claimBatch(t.db, jobId, 1);
    expect(dead).toBeDefined();
    const others = async () => {
      while (true) {
        const { processed } = await processBatch(t.db, { jobId, budgetMs: 0, leaseSeconds: 30 });
        if (processed.length === 0) return;
      }
    };
    await others();
    const [held] = await t.db`select status, attempts from import_job_batches where id = ${dead?.id ?? 0}`;
    expect(held).toEqual({ status: 'processing', attempts: 1 });

    await new Promise((r) => setTimeout(r, 1_200));
    const { processed } = await processBatch(t.db, { jobId, budgetMs: 0 });
    expect(processed).toHaveLength(1);
    expect(processed[0]).toMatchObject({ id: dead?.id, status: 'completed', attempt: 2 });

    const done = await finalizeImport(t.db, { jobId });
    expect(done.job.status).toBe('completed');
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });
});
