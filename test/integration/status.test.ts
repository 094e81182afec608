import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/datasets/generator';
import { batchSeconds } from '../../lib/imports/sql/batches';
import { getJobStatus } from '../../lib/imports/view/status';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip } from '../helpers/import';

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
    const sql = t.db.$client;
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
});
