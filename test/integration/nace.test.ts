import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, writeFullZip } from '../../lib/generator';
import { sortRows, type Row } from '../../lib/generator/generator';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, importZip } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

describe('the bench scale `nace` (an UPDATE that issues every activity again under NACE 2025)', () => {
  it('ends every activity of the FULL and inserts it again revised; no other table changes', async () => {
    const dir = tmpdir();
    const full = path.join(dir, `nace-full-${process.pid}.zip`);
    const nace = path.join(dir, `nace-update-${process.pid}.zip`);
    await writeFullZip(new RegisterModel(81), { number: 20, enterprises: 250, snapshotDate: '2025-05-01', out: full });
    await writeFullZip(new RegisterModel(81), { number: 21, enterprises: 250, snapshotDate: '2025-05-02', out: nace, nace: true });
    // The same seed in memory: the state the FULL makes.
    const model = new RegisterModel(81);
    model.full(20, 250, '2025-05-01');

    expect((await importZip(t.db, 'KboOpenData_0020_2025_05_01_Full.zip', await readFile(full))).job.status).toBe('completed');
    const before = Object.fromEntries(await Promise.all(DATA_TABLES.map(async (table) => [table, await currentRows(t.db, table)] as const)));
    const done = await importZip(t.db, 'KboOpenData_0021_2025_05_02_Update.zip', await readFile(nace));
    expect(done.job.status).toBe('completed');

    const revised = (r: Row): Row => {
      const code = String(r[3]);
      return [r[0] ?? null, r[1] ?? null, '2025', `${code.slice(0, -1)}${(Number(code.slice(-1)) + 1) % 10}`, r[4] ?? null];
    };
    expect(await currentRows(t.db, 'activities')).toEqual(sortRows(model.currentRows('activities').map(revised)));
    for (const table of DATA_TABLES.filter((x) => x !== 'activities')) expect(await currentRows(t.db, table), table).toEqual(before[table]);
    const ended = done.tables.find((x) => x.table === 'activities')?.operations.reduce((s, o) => s + o.ended, 0);
    expect(ended).toBe(model.currentRows('activities').length);
  });
});
