import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { formatEnterprise, withMod97 } from '../../lib/kbo/values';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** Values an attacker (or an unlucky register entry) could put in a file: they must land as data. */
const HOSTILE = [
  `'); DROP TABLE enterprises; --`,
  `Robert"); DELETE FROM codes; --`,
  `back\\slash\ttab \\N and \\. alone`,
  `$$; select pg_sleep(10); $$`,
];

describe('hostile values', () => {
  it('land as data, byte for byte, and every table survives', async () => {
    const model = new RegisterModel(71);
    const full = model.full(146, 50, '2025-03-01');
    await importZip(t.db, full.fileName, await zipExtract(full));

    const update = model.update(147, '2025-03-02');
    const number = formatEnterprise(withMod97(1_234_567));
    const quoted = (v: string) => `"${v.replaceAll('"', '""')}"`;
    const extra = HOSTILE.map((v, i) => [quoted(number), `"${i % 2 ? '1' : '2'}"`, '"003"', quoted(v)].join(',')).join('\n');
    const files = { ...update.files, 'denomination_insert.csv': `${update.files['denomination_insert.csv']}${extra}\n` };
    const status = await importZip(t.db, `'); DROP TABLE import_jobs; --.zip`, await zipExtract({ ...update, files }));
    expect(status.job.status).toBe('completed');
    expect(status.job.fileName).toBe(`'); DROP TABLE import_jobs; --.zip`);

    const landed = await t.db<{ denomination: string }[]>`
      select denomination from denominations where entity_number = ${number} and is_current`;
    expect(landed.map((r) => r.denomination).sort()).toEqual([...HOSTILE].sort());
    const [counts] = await t.db<{ enterprises: number; codes: number }[]>`
      select (select count(*) from enterprises)::int as enterprises, (select count(*) from codes)::int as codes`;
    expect(counts?.enterprises).toBeGreaterThan(0);
    expect(counts?.codes).toBeGreaterThan(0);
  });
});
