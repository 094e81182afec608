import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/datasets/generator';
import { DATA_TABLES } from '../../lib/datasets/kbo';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows } from '../helpers/import';
import { serveZips } from '../helpers/zip-server';

const run = promisify(execFile);
let t: TestDb;
let dir: string;
beforeEach(async () => {
  t = await freshDb();
  dir = await mkdtemp(path.join(tmpdir(), 'kbo-cli-'));
});
afterEach(async () => {
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

/** `npm run import -- <args>` as a user runs it, on this test's database. */
async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], {
    env: { ...process.env, DATABASE_URL: t.url },
    timeout: 120_000,
  });
}

describe('the CLI', () => {
  it('loads a FULL, then resyncs with the next FULL from disk, and a FULL from a URL', async () => {
    const model = new RegisterModel(71);
    const first = model.full(146, 120, '2025-10-01');
    await writeFile(path.join(dir, first.fileName), await zipExtract(first));
    expect((await cli(path.join(dir, first.fileName), '--concurrency', '2')).stdout).toContain('full extract 146');

    model.drift(0.05);
    const second = model.snapshot(147, '2025-10-02');
    await writeFile(path.join(dir, second.fileName), await zipExtract(second));
    const out = await cli(path.join(dir, second.fileName), '--concurrency', '2');
    expect(out.stdout).toMatch(/^resync: Drift corrected: [\d,]+ rows ended and [\d,]+ inserted in 7 tables; [\d,]+ rows already matched the FULL\.$/m);
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table), table).toEqual(model.currentRows(table));

    model.drift(0.05);
    const third = await zipExtract(model.snapshot(148, '2025-10-03'));
    const server = await serveZips({ '/KboOpenData_0148_2025_10_03_Full.zip': { bytes: third } });
    try {
      const url = `${server.base}/KboOpenData_0148_2025_10_03_Full.zip`;
      const fetched = await cli(url);
      expect(fetched.stderr).toContain('fetching KboOpenData_0148_2025_10_03_Full.zip');
      expect(fetched.stdout).toContain('full extract 148 (KboOpenData_0148_2025_10_03_Full.zip) completed');
      expect(fetched.stdout).toMatch(/^resync: Drift corrected/m);
    } finally {
      await server.close();
    }
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table), table).toEqual(model.currentRows(table));
  });

  it('lists the imports and shows one, so nobody needs psql for an id', async () => {
    const model = new RegisterModel(72);
    const first = model.full(146, 60, '2025-10-01');
    await writeFile(path.join(dir, first.fileName), await zipExtract(first));
    await cli(path.join(dir, first.fileName));
    const list = (await cli('list')).stdout.trim().split('\n');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(/^#\d+\s+completed\s+full 146\s+\d+\/\d+ batches\s+inserted [\d,]+, ended 0\s+KboOpenData_0146_2025_10_01_Full\.zip$/);
    const id = /^#(\d+)/.exec(list[0] as string)?.[1] as string;
    expect((await cli('status', id)).stdout).toContain(`import #${id}: full extract 146 (KboOpenData_0146_2025_10_01_Full.zip) completed`);
    expect(JSON.parse((await cli('status', id, '--json')).stdout).job.status).toBe('completed');
  });
});
