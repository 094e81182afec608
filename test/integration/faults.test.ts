import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { setFaults } from '../../lib/imports';
import { freshDb, type TestDb } from '../helpers/db';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

describe('the fault plan', () => {
  it('is met only by a process started with IMPORT_TEST_FAULTS=1: the CLI without it imports through a plan that fails every batch', async () => {
    await setFaults(t.db, { failBatches: 1_000, transientFailures: 1_000, stallMs: 30_000 });
    const full = new RegisterModel(52).full(1, 200, '2025-03-01');
    const dir = await mkdtemp(path.join(tmpdir(), 'kbo-faults-'));
    try {
      await writeFile(path.join(dir, full.fileName), await zipExtract(full));
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/import.ts', path.join(dir, full.fileName)], {
        env: { ...process.env, DATABASE_URL: t.url, IMPORT_TEST_FAULTS: '0' },
        timeout: 120_000,
      });
      expect(stdout).toContain('full extract 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const attempts = await t.db<{ outcome: string }[]>`select distinct outcome from import_batch_attempts`;
    expect(attempts.map((a) => a.outcome)).toEqual(['completed']);
    const [plan] = await t.db<{ failBatches: number }[]>`select fail_batches as "failBatches" from import_test_faults`;
    expect(plan?.failBatches).toBe(1_000);
  });
});
