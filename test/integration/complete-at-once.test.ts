import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { createSql } from '../../lib/db/client';
import { driveImport } from '../../lib/imports/drive/loop';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { createImport } from '../../lib/imports/jobs/create';
import { prepareSteps } from '../../lib/imports/jobs/prepare/step';
import { completeUpload, fetchSteps } from '../../lib/imports/jobs/start';
import { createFetch } from '../../lib/imports/store/fetch';
import { createUpload, putPart } from '../../lib/imports/store/uploads';
import { KboPortal, releaseLease, runSync, syncStep } from '../../lib/sync';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, fixtureZip } from '../helpers/import';
import { startPortal, type PortalImitation } from '../helpers/portal';
import { serveZips, type ZipServer } from '../helpers/zip-server';

/**
 * One upload completed by several calls at the same moment (a double click, a retry after a
 * timeout, two drivers, syncs sharing a holder): every call gives the one import made from
 * it, and nothing drops the bytes that import reads.
 */

const PART = 64 * 1024;
process.env.IMPORT_PART_BYTES = String(PART);

const zip = fixtureZip();
const NAME = 'KboOpenData_0147_2025_10_12_Update.zip';
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** Every part of `data` sent; the upload's id. */
async function sent(data: Buffer, fileName: string, options: { force?: boolean } = {}): Promise<number> {
  const upload = await createUpload(t.db, { fileName, size: data.length, ...options });
  for (let i = 0; i < upload.parts; i++) {
    const part = data.subarray(i * PART, Math.min(data.length, (i + 1) * PART));
    await putPart(t.db, upload.uploadId, i, part, sha(part));
  }
  return upload.uploadId;
}

const jobs = () => t.db<{ id: number; status: string; error: { message: string } | null }[]>`select id, status, error from import_jobs order by id`;
const uploads = async () => (await t.db<{ n: number }[]>`select count(*)::int as n from import_uploads`)[0]?.n;

describe('completing one upload several times at once', () => {
  it('five completes at the same moment give one import, which then completes as a single one does', async () => {
    const uploadId = await sent(zip, NAME, { force: true });
    const answers = await Promise.allSettled([...Array(5)].map(() => completeUpload(t.db, uploadId, sha(zip))));
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill('fulfilled'));
    const ids = new Set(answers.map((a) => (a as PromiseFulfilledResult<{ jobId: number }>).value.jobId));
    expect(ids.size).toBe(1);
    const [jobId] = [...ids] as [number];
    expect(await jobs()).toMatchObject([{ id: jobId }]);

    const status = await driveImport(t.db, { jobId, concurrency: 2, idleMs: 10 });
    expect(status.job.status).toBe('completed');
    // A retry after the import is done (its upload dropped by then) still answers with it.
    expect((await completeUpload(t.db, uploadId, sha(zip))).jobId).toBe(jobId);

    const other = await freshDb();
    try {
      const direct = await prepareImport(other.db, { fileName: NAME, data: zip, force: true });
      await driveImport(other.db, { jobId: direct.job.id, concurrency: 2, idleMs: 10 });
      for (const table of ['enterprises', 'activities', 'codes'] as const) expect(await currentRows(t.db, table)).toEqual(await currentRows(other.db, table));
    } finally {
      await other.drop();
    }
  });

  it('a file refused by every call (out of sequence) is refused alike, and leaves no import and no upload behind', async () => {
    const uploadId = await sent(zip, NAME);
    const answers = await Promise.allSettled([...Array(4)].map(() => completeUpload(t.db, uploadId, sha(zip))));
    expect(answers.map((a) => a.status)).toEqual(Array(4).fill('rejected'));
    for (const a of answers) expect((a as PromiseRejectedResult).reason.message).toMatch(/has nothing to apply to|was dropped before its import began|was dropped while this call read it|does not exist/);
    expect(await jobs()).toEqual([]);
    expect(await uploads()).toBe(0);
  });

  it('a complete that comes while another call is making the import waits for it and gives that import', async () => {
    const uploadId = await sent(zip, NAME, { force: true });
    const first = completeUpload(t.db, uploadId, sha(zip));
    // The second starts once the first has stored its hash: it is between the check and the job.
    await new Promise((r) => setTimeout(r, 5));
    const second = completeUpload(t.db, uploadId, sha(zip));
    const [a, b] = await Promise.all([first, second]);
    expect(b.jobId).toBe(a.jobId);
    expect((await driveImport(t.db, { jobId: a.jobId, concurrency: 2, idleMs: 10 })).job.status).toBe('completed');
  });
});

describe('a URL fetch driven by several drivers at once', () => {
  let server: ZipServer;
  beforeAll(async () => {
    server = await serveZips({ [`/${NAME}`]: { bytes: zip } });
  });
  afterAll(() => server.close());

  it('every driver ends on the same import, and the import completes', async () => {
    const upload = await createFetch(t.db, { url: `${server.base}/${NAME}`, force: true });
    const seen = new Set<number>();
    for (let round = 0; round < 20 && seen.size === 0; round++) {
      const steps = await Promise.all([...Array(4)].map(() => fetchSteps(t.db, upload.uploadId, 0)));
      for (const s of steps) if (s.jobId !== null) seen.add(s.jobId);
    }
    // Once one driver has the import, every other driver's next step gives it too.
    const again = await Promise.all([...Array(4)].map(() => fetchSteps(t.db, upload.uploadId, 0)));
    for (const s of again) if (s.jobId !== null) seen.add(s.jobId);
    expect(seen.size).toBe(1);
    const [jobId] = [...seen] as [number];
    expect((await driveImport(t.db, { jobId, concurrency: 2, idleMs: 10 })).job.status).toBe('completed');
    expect((await jobs()).map((j) => j.status)).toEqual(['completed']);
  });
});

describe('syncs sharing one holder, right after the portal publishes a file', () => {
  let portal: PortalImitation;
  beforeEach(async () => {
    portal = await startPortal();
  });
  afterEach(async () => {
    await portal.close();
  });

  it('twenty steps at once: none fails, one import is made, and the sync ends current', async () => {
    const model = new RegisterModel(2903);
    const full = model.full(140, 60, '2025-10-01');
    portal.files.set(full.fileName, await zipExtract(full));
    const client = () => new KboPortal(portal.base, portal.user, portal.password);
    expect((await runSync(t.db, client())).current).toBe(true);

    const update = model.update(141, '2025-10-02', 0.05);
    portal.files.set(update.fileName, await zipExtract(update));
    const holder = 'page:same-holder-1234';
    const step = () => syncStep(t.db, client(), { trigger: 'page', holder, check: true, deadline: Date.now() + 5_000 });
    // The first step plans; then twenty at once fetch and start the import.
    expect((await step()).state).toBe('planned');
    const answers = await Promise.all([...Array(20)].map(step));
    expect(answers.filter((a) => a.state === 'error').map((a) => a.message)).toEqual([]);
    const jobIds = new Set(answers.map((a) => a.jobId).filter((j) => j !== null));
    expect(jobIds.size).toBe(1);

    // The page then drives the import and steps on with its holder until the sync is done.
    await driveImport(t.db, { jobId: [...jobIds][0] as number, concurrency: 2, idleMs: 10 });
    expect((await step()).state).toBe('done');
    await releaseLease(t.db, holder);
    expect((await runSync(t.db, client())).current).toBe(true);
    const made = await t.db<{ extract: number; status: string }[]>`select extract_number as extract, status from import_jobs order by id`;
    expect(made).toEqual([
      { extract: 140, status: 'completed' },
      { extract: 141, status: 'completed' },
    ]);
    expect(await currentRows(t.db, 'enterprises')).toEqual(model.currentRows('enterprises'));
    const [runs] = await t.db<{ errors: number }[]>`select count(*) filter (where error is not null)::int as errors from sync_runs`;
    expect(runs?.errors).toBe(0);
  });
});

describe('more drivers than the pool has connections', () => {
  it('twelve prepare steps at once on a pool of four all finish (a step holds one connection and reads the zip through another)', async () => {
    const sql = createSql(t.url, 4);
    try {
      const db = sql;
      const model = new RegisterModel(2904);
      const full = model.full(140, 300, '2025-10-01');
      const { jobId } = await createImport(db, { fileName: full.fileName, data: await zipExtract(full) });
      const steps = await Promise.race([
        Promise.all([...Array(12)].map(() => prepareSteps(sql, jobId, 2_000))),
        new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 60_000).unref()),
      ]);
      expect(steps).not.toBe('stuck');
      expect((await driveImport(db, { jobId, concurrency: 2, idleMs: 10 })).job.status).toBe('completed');
      expect(await currentRows(db, 'enterprises')).toEqual(model.currentRows('enterprises'));
    } finally {
      await sql.end();
    }
  });
});
