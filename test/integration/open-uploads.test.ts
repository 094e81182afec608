import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cronTick } from '../../lib/imports/drive/cron';
import { createFetch } from '../../lib/imports/store/fetch';
import { createUpload, discardUpload } from '../../lib/imports/store/uploads';
import { freshDb, type TestDb } from '../helpers/db';
import { refusal } from '../helpers/import';
import { serveZips } from '../helpers/zip-server';

// A small cap, so that the tests reach it.
process.env.MAX_OPEN_UPLOADS = '3';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

const open = (i: number) => createUpload(t.db, { fileName: `open-${i}.zip`, size: 100_000 });
const count = async () => Number((await t.db`select count(*)::int as n from import_uploads`)[0]?.n);

describe('open uploads', () => {
  it('are capped at MAX_OPEN_UPLOADS, even when ten begin at once; a URL fetch counts too', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => open(i)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(refused).toHaveLength(7);
    for (const err of refused) {
      expect(err).toMatchObject({ code: 'RATE_LIMITED' });
      expect((err as Error).message).toMatch(/3 uploads are open, the most this server keeps \(MAX_OPEN_UPLOADS=3\): complete or discard one/);
    }
    expect(await count()).toBe(3);
    const server = await serveZips({ '/x.zip': { bytes: Buffer.alloc(20_000, 1) } });
    try {
      const viaUrl = await refusal(createFetch(t.db, { url: `${server.base}/x.zip` }));
      expect(viaUrl.code, viaUrl.message).toBe('RATE_LIMITED');
    } finally {
      await server.close();
    }
  });

  it('free a place when one is discarded; a complete one cannot be discarded', async () => {
    const uploads = [await open(1), await open(2), await open(3)];
    expect((await refusal(open(4))).code).toBe('RATE_LIMITED');
    await discardUpload(t.db, uploads[0]!.uploadId);
    expect(await count()).toBe(2);
    await open(4);
    await t.db`update import_uploads set sha256 = ${'a'.repeat(64)} where id = ${uploads[1]!.uploadId}`;
    expect((await refusal(discardUpload(t.db, uploads[1]!.uploadId))).code).toBe('CONFLICT');
    expect((await refusal(discardUpload(t.db, 999_999))).code).toBe('NOT_FOUND');
    // The sync's own download is the sync's.
    const [portal] = await t.db<{ id: number }[]>`
      insert into import_uploads (file_name, size, sha256, part_size, url) values ('KboOpenData_0150_2025_01_05_Update.zip', 100, '', 8192, 'kbo-portal:KboOpenData_0150_2025_01_05_Update.zip') returning id`;
    expect((await refusal(discardUpload(t.db, portal!.id))).code).toBe('CONFLICT');
  });

  it('abandoned for a day are dropped by the cron tick, with no new upload needed, and free their places', async () => {
    const uploads = [await open(1), await open(2), await open(3)];
    await t.db`update import_uploads set created_at = now() - interval '25 hours' where id = ${uploads[0]!.uploadId}`;
    await cronTick(t.db, 200);
    expect((await t.db<{ id: number }[]>`select id from import_uploads order by id`).map((u) => u.id)).toEqual([uploads[1]!.uploadId, uploads[2]!.uploadId]);
    await open(4);
  });
});
