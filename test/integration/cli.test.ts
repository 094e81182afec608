import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows } from '../helpers/import';
import { startCutProxy } from '../helpers/cut-proxy';
import { importZip } from '../helpers/import';
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
  it('previews a file with --dry-run (nothing changes), then applies it, or discards another', async () => {
    const model = new RegisterModel(73);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(146, 80, '2025-10-01')));
    const before = await Promise.all(DATA_TABLES.map((table) => currentRows(t.db, table)));
    const update = model.update(147, '2025-10-02', 0.2);
    const file = path.join(dir, update.fileName);
    await writeFile(file, await zipExtract(update));
    const dry = await cli(file, '--dry-run', '--concurrency', '2');
    expect(dry.stdout).toContain('update extract 147');
    expect(dry.stdout).toMatch(/^preview #(\d+): update extract 147 .* previewed$/m);
    expect(dry.stdout).toMatch(/^preview: nothing was changed; applying extract 147 would change these entities:$/m);
    expect(dry.stdout).toMatch(/^  enterprises +\d+ added, \d+ ended, [1-9]\d* modified/m);
    const id = Number(/^preview #(\d+)/m.exec(dry.stdout)?.[1]);
    expect(dry.stdout).toContain(`apply it (from what it staged): npm run import -- apply ${id}`);
    expect(await Promise.all(DATA_TABLES.map((table) => currentRows(t.db, table)))).toEqual(before);

    const applied = await cli('apply', String(id));
    expect(applied.stdout).toMatch(new RegExp(`^import #${id}: update extract 147 .* completed$`, 'm'));
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table), table).toEqual(model.currentRows(table));

    const next = model.update(148, '2025-10-03', 0.2);
    await writeFile(path.join(dir, next.fileName), await zipExtract(next));
    const second = Number(/^preview #(\d+)/m.exec((await cli(path.join(dir, next.fileName), '--dry-run')).stdout)?.[1]);
    expect((await cli('discard', String(second))).stdout).toMatch(new RegExp(`^preview #${second}: update extract 148 .* discarded$`, 'm'));
    // Applying a discarded preview is refused, saying why.
    const refused = await cli('apply', String(second)).then(
      () => undefined,
      (e: { stderr: string; code: number }) => e,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toMatch(new RegExp(`error \\(PRECONDITION_FAILED\\): Preview #${second} cannot be applied: it was discarded`));
  });

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

describe('the CLI and a database that goes away', () => {
  /** The test's database reached through a proxy the test can cut. */
  async function behindProxy() {
    const u = new URL(t.url);
    const proxy = await startCutProxy({ host: u.hostname, port: Number(u.port || 5432) });
    u.port = String(proxy.port);
    return { proxy, url: u.toString() };
  }

  it('waits while the database is away, then carries on to exactly the extract', async () => {
    const model = new RegisterModel(73);
    const full = model.full(146, 1_500, '2025-10-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const update = model.update(147, '2025-10-02', 0.6);
    await writeFile(path.join(dir, update.fileName), await zipExtract(update));
    const { proxy, url } = await behindProxy();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import.ts', path.join(dir, update.fileName), '--concurrency', '2'], {
        env: { ...process.env, DATABASE_URL: url, IMPORT_BATCH_SIZE: '100' },
      });
      let stdout = '';
      let stderr = '';
      let cuts = 0;
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => {
        stderr += d;
        // Cut it as soon as the import is under way, for 3 s.
        if (cuts === 0 && stderr.includes('preparing')) {
          cuts++;
          void proxy.down().then(() => setTimeout(() => void proxy.up(), 3_000));
        }
      });
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(stderr).toMatch(/the database is not reachable \((ECONNREFUSED|CONNECTION_CLOSED|ECONNRESET|CONNECTION_DESTROYED)\); trying again in/);
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('update extract 147');
      expect(stdout).toContain('completed');
    } finally {
      await proxy.close();
    }
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table), table).toEqual(model.currentRows(table));
    const twice = await t.db`select count(*)::int as n from import_batch_attempts where outcome = 'completed' group by batch_id having count(*) > 1`;
    expect(twice).toEqual([]);
  });

  it('gives up after --wait-db seconds with one line, and the next run carries on', async () => {
    const model = new RegisterModel(74);
    const full = model.full(146, 40, '2025-10-01');
    await writeFile(path.join(dir, full.fileName), await zipExtract(full));
    const { proxy, url } = await behindProxy();
    await proxy.down();
    const started = Date.now();
    const failed = await run(process.execPath, ['--import', 'tsx', 'scripts/import.ts', path.join(dir, full.fileName), '--wait-db', '2'], {
      env: { ...process.env, DATABASE_URL: url },
    }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    await proxy.close();
    expect(failed, 'the CLI should have failed').not.toBeNull();
    expect(failed?.code, failed?.stderr).toBe(1);
    expect(Date.now() - started).toBeGreaterThan(2_000);
    const lines = (failed?.stderr ?? '').trim().split('\n');
    expect(lines.at(-1)).toBe(
      'error (DATABASE_UNAVAILABLE): the database could not be reached (ECONNREFUSED). Nothing was lost; run the same command again once it is up, and it carries on.',
    );
    expect(failed?.stderr).not.toMatch(/\n\s+at /);
    expect((await cli(path.join(dir, full.fileName))).stdout).toContain('full extract 146');
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table), table).toEqual(model.currentRows(table));
  });
});
