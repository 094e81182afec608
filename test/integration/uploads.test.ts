import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { cronTick } from '../../lib/imports/drive/cron';
import { driveImport } from '../../lib/imports/drive/loop';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { createFetch } from '../../lib/imports/store/fetch';
import { partsCovering } from '../../lib/imports/sql/uploads';
import { storeUpload } from '../../lib/imports/store/parts';
import { uploadSource } from '../../lib/imports/store/sources';
import { createUpload, putPart, uploadView } from '../../lib/imports/store/uploads';
import { completeUpload, fetchSteps } from '../helpers/answers';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, fixtureZip, refusal } from '../helpers/import';
import { serveZips, type ZipServer } from '../helpers/zip-server';

// Small parts, so the real 416 kB extract 147 is sent in 7 of them.
const PART = 64 * 1024;
process.env.IMPORT_PART_BYTES = String(PART);

const zip = fixtureZip();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const partOf = (i: number) => zip.subarray(i * PART, Math.min(zip.length, (i + 1) * PART));

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** What an import left: its job's facts and every table's current rows. */
async function outcome(db: TestDb['db'], jobId: number) {
  const status = await driveImport(db, { jobId, concurrency: 2, idleMs: 10 });
  const tables: Record<string, unknown> = {};
  for (const table of [...DATA_TABLES, 'codes'] as const) tables[table] = await currentRows(db, table);
  const { job } = status;
  return { status: job.status, sha256: job.sha256, size: job.fileSize, fileName: job.fileName, extract: job.extractNumber, files: (job.counts as { files: unknown }).files, totals: status.totals, tables };
}

describe('uploads in parts', () => {
  it('reads any range of a stored upload, across parts, taking from the database only the bytes asked for', async () => {
    const { uploadId } = await storeUpload(t.db, 'KboOpenData_0147_2025_10_12_Update.zip', zip);
    const source = await uploadSource(t.db, uploadId);
    const read = async (a: number, b: number) => {
      const chunks: Buffer[] = [];
      for await (const c of source.range(a, b)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    for (const [a, b] of [[0, 10], [PART - 3, PART + 5], [5, 3 * PART + 7], [zip.length - 22, zip.length], [PART, 2 * PART], [7, 7]] as const) {
      expect(Buffer.compare(await read(a, b), Buffer.from(zip.subarray(a, b))), `${a}-${b}`).toBe(0);
      const parts = await partsCovering(t.db, uploadId, a, b, 100);
      expect(parts.reduce((n, p) => n + (p.data?.length ?? 0), 0), `${a}-${b}`).toBe(b - a);
    }
  });

  it('checks every part and the whole, takes a part again after a failure, and ends in the same import as a direct upload', async () => {
    const upload = await createUpload(t.db, { fileName: 'KboOpenData_0147_2025_10_12_Update.zip', size: zip.length, force: true });
    expect(upload).toMatchObject({ partSize: PART, parts: Math.ceil(zip.length / PART), received: [], complete: false });
    expect(upload.parts).toBe(7);

    // Out of order, with a damaged part and a short one refused, then sent again.
    for (const i of [6, 2, 0, 5]) await putPart(t.db, upload.uploadId, i, partOf(i), sha(partOf(i)));
    const damaged = Buffer.from(partOf(3));
    damaged.writeUInt8(damaged.readUInt8(100) ^ 0xff, 100);
    const bad = await refusal(putPart(t.db, upload.uploadId, 3, damaged, sha(partOf(3))));
    expect(bad.code).toBe('VALIDATION');
    expect(bad.message).toMatch(/^Part 3 of KboOpenData_0147_2025_10_12_Update\.zip arrived damaged: its sha256 is [0-9a-f]{64}, not [0-9a-f]{64} as sent\. Send it again\.$/);
    const short = await refusal(putPart(t.db, upload.uploadId, 4, partOf(4).subarray(1), sha(partOf(4).subarray(1))));
    expect(short.message).toBe('Part 4 of KboOpenData_0147_2025_10_12_Update.zip arrived with 65,535 bytes; it must have 65,536. Send it again.');
    expect((await refusal(putPart(t.db, upload.uploadId, 7, partOf(6), sha(partOf(6))))).message).toMatch(/has parts 0 to 6; there is no part 7/);

    const missing = await refusal(completeUpload(t.db, upload.uploadId, sha(zip)));
    expect(missing.code).toBe('PRECONDITION_FAILED');
    expect(missing.message).toBe('KboOpenData_0147_2025_10_12_Update.zip is missing 3 of its 7 parts (1, 3, 4); send them, then complete it.');
    expect((await uploadView(t.db, upload.uploadId)).received).toEqual([0, 2, 5, 6]);

    for (const i of [1, 3, 4, 3]) await putPart(t.db, upload.uploadId, i, partOf(i), sha(partOf(i)));
    const created = await completeUpload(t.db, upload.uploadId, sha(zip));
    // A repeated complete (its answer lost) gives the same import.
    expect((await completeUpload(t.db, upload.uploadId, sha(zip))).job.id).toBe(created.job.id);
    const inParts = await outcome(t.db, created.job.id);
    expect(inParts.status).toBe('completed');
    expect(inParts.sha256).toBe(sha(zip));

    const other = await freshDb();
    try {
      const direct = await prepareImport(other.db, { fileName: 'KboOpenData_0147_2025_10_12_Update.zip', data: zip, force: true });
      expect(await outcome(other.db, direct.job.id)).toEqual(inParts);
    } finally {
      await other.drop();
    }
    // The parts are dropped once the import is done.
    const [left] = await t.db<{ n: number }[]>`select count(*)::int as n from import_upload_parts`;
    expect(left?.n).toBe(0);
  });

  it('drops an upload whose assembled file does not match the sha256 sent, and refuses a zip over the size limit', async () => {
    const upload = await createUpload(t.db, { fileName: 'x.zip', size: zip.length });
    for (let i = 0; i < upload.parts; i++) await putPart(t.db, upload.uploadId, i, partOf(i), sha(partOf(i)));
    const wrong = await refusal(completeUpload(t.db, upload.uploadId, sha(Buffer.from('another file'))));
    expect(wrong.code).toBe('VALIDATION');
    expect(wrong.message).toMatch(/^x\.zip was assembled from its parts with sha256 [0-9a-f]{64}, but the file sent has [0-9a-f]{64}; the upload was dropped\. Upload the file again\.$/);
    expect((await refusal(uploadView(t.db, upload.uploadId))).code).toBe('NOT_FOUND');

    const huge = await refusal(createUpload(t.db, { fileName: 'huge.zip', size: 600 * 1024 * 1024 }));
    expect(huge.code).toBe('PAYLOAD_TOO_LARGE');
    expect(huge.message).toBe('huge.zip is 629.1 MB, more than the 512 MB this server accepts (MAX_UPLOAD_MB).');
  });
});

describe('fetching a zip from a URL', () => {
  let server: ZipServer;
  let base: string;
  beforeAll(async () => {
    // Read on every request, so a route can name the server's own port.
    const files: Parameters<typeof serveZips>[0] = {
      '/KboOpenData_0147_2025_10_12_Update.zip': { bytes: zip },
      '/no-ranges/KboOpenData_0147_2025_10_12_Update.zip': { bytes: zip, ranges: false },
      '/private.zip': { status: 401 },
      '/moved.zip': { redirect: '/KboOpenData_0147_2025_10_12_Update.zip' },
      '/loop.zip': { redirect: '/loop.zip' },
    };
    server = await serveZips(files);
    base = server.base;
    const port = new URL(base).port;
    files['/to-localhost.zip'] = { redirect: `http://localhost:${port}/KboOpenData_0147_2025_10_12_Update.zip` };
  });
  afterAll(() => server.close());

  it.each([['with range requests', ''], ['from a server that ignores ranges', '/no-ranges']])('fetches the zip in steps %s and imports it', async (_, prefix) => {
    const upload = await createFetch(t.db, { url: `${base}${prefix}/KboOpenData_0147_2025_10_12_Update.zip`, force: true });
    expect(upload).toMatchObject({ fileName: 'KboOpenData_0147_2025_10_12_Update.zip', size: zip.length, parts: 7 });
    server.requests.length = 0;
    let steps = 0;
    let job = null;
    while (!job) {
      // A zero budget: one part per call, as a slow link would give.
      const step = await fetchSteps(t.db, upload.uploadId, 0);
      steps++;
      if (!step.job) expect(step.upload.received.length).toBe(steps);
      job = step.job;
    }
    expect(steps).toBe(7);
    if (!prefix) {
      expect(server.requests.slice(0, 2)).toEqual([
        { path: '/KboOpenData_0147_2025_10_12_Update.zip', range: 'bytes=0-65535' },
        { path: '/KboOpenData_0147_2025_10_12_Update.zip', range: 'bytes=65536-131071' },
      ]);
    }
    expect(job.job.sha256).toBe(sha(zip));
    expect(job.job.source).toEqual({ kind: 'upload', uploadId: upload.uploadId });
    expect((await outcome(t.db, job.job.id)).status).toBe('completed');
  });

  it('carries on a fetch its page left from the cron, which then prepares and applies the import', async () => {
    const upload = await createFetch(t.db, { url: `${base}/KboOpenData_0147_2025_10_12_Update.zip`, force: true });
    expect((await fetchSteps(t.db, upload.uploadId, 0)).upload.received).toEqual([0]);
    // The page is gone; the next cron ticks fetch the rest, then drive the import it made.
    let tick = await cronTick(t.db, 30_000);
    for (let i = 0; i < 5 && tick.job?.job.status !== 'completed'; i++) tick = await cronTick(t.db, 30_000);
    expect(tick.job?.job.status).toBe('completed');
    expect(tick.job?.job.sha256).toBe(sha(zip));
    expect(await cronTick(t.db, 1_000)).toEqual({ job: null });
  });

  it('says why a URL cannot be fetched, without telling what answered there', async () => {
    for (const path of ['/missing.zip', '/private.zip']) {
      const message = (await refusal(createFetch(t.db, { url: `${base}${path}` }))).message;
      expect(message).toBe(`${base}${path} did not send the file; check the address, or download the file and upload it.`);
    }
    const closed = await serveZips({});
    await closed.close();
    expect((await refusal(createFetch(t.db, { url: `${closed.base}/x.zip` }))).message).toBe(
      `${closed.base}/x.zip could not be reached; check the address, or download the file and upload it.`,
    );
    await expect(createFetch(t.db, { url: 'ftp://example.org/x.zip' })).rejects.toThrow('only http and https URLs can be fetched');
  });

  it('refuses loopback, private, link-local and metadata addresses, after DNS and on every redirect, unless allow-listed', async () => {
    const port = new URL(base).port;
    const refused = /points to a loopback, private, link-local or reserved address, which this server does not fetch from/;
    server.requests.length = 0;
    // Only 127.0.0.1 is in IMPORT_FETCH_ALLOW_HOSTS (vitest.config.ts): every other way to this
    // server is refused (0x7f.1 or 2130706433 would be 127.0.0.1 itself, as a URL spells it).
    for (const host of ['localhost', '[::1]', '[::ffff:127.0.0.1]', '169.254.169.254', '0xa9fea9fe', '2852039166', '10.0.0.1', '192.168.1.1', '172.16.0.1', '100.64.0.1', '[fe80::1]', '[fd00:ec2::254]', '0.0.0.0']) {
      const url = `http://${host}:${port}/KboOpenData_0147_2025_10_12_Update.zip`;
      expect((await refusal(createFetch(t.db, { url }))).message, url).toMatch(refused);
    }
    expect(server.requests).toEqual([]);
    // A redirect is checked like the first address: to the same allowed host it is followed...
    const upload = await createFetch(t.db, { url: `${base}/moved.zip` });
    expect(upload.size).toBe(zip.length);
    // ...to a refused one it is not, and the refused host never sees a request.
    server.requests.length = 0;
    const message = (await refusal(createFetch(t.db, { url: `${base}/to-localhost.zip` }))).message;
    expect(message).toMatch(/to-localhost\.zip redirects to a loopback, private, link-local or reserved address/);
    expect(server.requests.map((r) => r.path)).toEqual(['/to-localhost.zip']);
    expect((await refusal(createFetch(t.db, { url: `${base}/loop.zip` }))).message).toMatch(/redirects more than 5 times/);
  });
});
