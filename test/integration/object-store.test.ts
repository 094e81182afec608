import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { driveImport } from '../../lib/imports/drive/loop';
import { ObjectStore } from '../../lib/imports/store/object-store';
import { createUpload, putPart } from '../../lib/imports/store/uploads';
import { completeUpload } from '../helpers/answers';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, fixtureZip } from '../helpers/import';

// Parts go to an S3-compatible store (s3rver, which checks Signature V4 like S3 does).
const PART = 64 * 1024;
process.env.IMPORT_PART_BYTES = String(PART);
process.env.IMPORT_STORE = 's3';
process.env.S3_BUCKET = 'kbo';
process.env.S3_ACCESS_KEY_ID = 'S3RVER';
process.env.S3_SECRET_ACCESS_KEY = 'S3RVER';

const zip = fixtureZip();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
let server: S3rver;
let dir: string;
let endpoint: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kbo-s3-'));
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'kbo' }], allowMismatchedSignatures: false });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  process.env.S3_ENDPOINT = endpoint;
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** Objects the store holds under the parts' prefix. */
async function storedObjects(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(path.join(d, e.name));
      else if (e.name.endsWith('._S3rver_object')) out.push(path.join(d, e.name));
    }
  };
  await walk(path.join(dir, 'kbo', 'kbo-uploads'));
  return out;
}

describe('uploads kept in an S3-compatible object store (IMPORT_STORE=s3)', () => {
  it('stores the parts as objects, imports from them by range, and deletes them when the import ends', async () => {
    const upload = await createUpload(t.db, { fileName: 'KboOpenData_0147_2025_10_12_Update.zip', size: zip.length, force: true });
    for (let i = upload.parts - 1; i >= 0; i--) {
      const part = zip.subarray(i * PART, Math.min(zip.length, (i + 1) * PART));
      await putPart(t.db, upload.uploadId, i, part, sha(part));
    }
    // The database keeps which parts exist and their lengths; the bytes are objects.
    const rows = await t.db<{ bytes: number; data: Buffer | null }[]>`select bytes, data from import_upload_parts order by "offset"`;
    expect(rows.map((r) => r.data)).toEqual(Array(upload.parts).fill(null));
    expect(rows.reduce((s, r) => s + r.bytes, 0)).toBe(zip.length);
    expect(await storedObjects()).toHaveLength(upload.parts);

    const created = await completeUpload(t.db, upload.uploadId, sha(zip));
    expect(created.job.sha256).toBe(sha(zip));
    const done = await driveImport(t.db, { jobId: created.job.id, concurrency: 2, idleMs: 10 });
    expect(done.job.status).toBe('completed');
    expect((await currentRows(t.db, 'codes')).length).toBe(21_500);
    expect(await storedObjects()).toEqual([]);
  });

  it('puts, gets and deletes objects, and says what a store refused', async () => {
    // (s3rver does not check Signature V4; lib/imports/object-store.test.ts checks it against AWS's own example.)
    const store = new ObjectStore({ endpoint, bucket: 'kbo', region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', prefix: 'x/' });
    await store.put('x/1/0', Buffer.from('zip bytes'));
    expect((await store.get('x/1/0')).toString()).toBe('zip bytes');
    await store.delete('x/1/0');
    await expect(store.get('x/1/0')).rejects.toThrow("The object store refused GET x/1/0: 404 NoSuchKey. Check the S3_* settings and the bucket's permissions.");
    const elsewhere = new ObjectStore({ ...store.cfg, bucket: 'no-such-bucket' });
    await expect(elsewhere.put('x/1/0', Buffer.from('zip bytes'))).rejects.toThrow(/refused PUT x\/1\/0: 404 NoSuchBucket/);
  });
});
