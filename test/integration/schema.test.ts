import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { JOB } from '../../lib/imports/state/machine';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** The SQLSTATE a statement failed with (23514: a CHECK refused the row). */
async function sqlState(statement: Promise<unknown>): Promise<string | undefined> {
  try {
    await statement;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('the database holds the state modules to their values', () => {
  it('refuses a status, an outcome, a trigger or a kind that no state module defines, and takes the defined ones', async () => {
    const sql = t.db;
    const full = new RegisterModel(5).full(1, 40, '2025-03-01');
    const jobId = (await importZip(sql, full.fileName, await zipExtract(full))).job.id;
    expect(await sqlState(sql`update import_jobs set status = 'done' where id = ${jobId}`)).toBe('23514');
    expect(await sqlState(sql`update import_jobs set mode = 'merge' where id = ${jobId}`)).toBe('23514');
    expect(await sqlState(sql`update import_job_batches set status = 'skipped' where job_id = ${jobId}`)).toBe('23514');
    expect(await sqlState(sql`update import_batch_attempts set outcome = 'ok' where job_id = ${jobId}`)).toBe('23514');
    expect(await sqlState(sql`insert into sync_runs (trigger, outcome) values ('cli', 'ok')`)).toBe('23514');
    expect(await sqlState(sql`insert into sync_runs (trigger, outcome) values ('ui', 'error')`)).toBe('23514');
    expect(await sqlState(sql`insert into sync_state (id, last_alert_kind) values (1, 'warning')`)).toBe('23514');

    expect(await sqlState(sql`update import_jobs set status = ${JOB.rolled_back} where id = ${jobId}`)).toBeUndefined();
    expect(await sqlState(sql`insert into sync_runs (trigger, outcome) values ('cron', 'up_to_date')`)).toBeUndefined();
    expect(await sqlState(sql`insert into sync_state (id, last_alert_kind) values (1, null)`)).toBeUndefined();
  });
});
