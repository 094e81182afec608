/** A NUL character inside an extract (data, meta.csv, an entry's name): refused or rejected with a message, never a failed statement. */
import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type GeneratedExtract } from '../../lib/generator/generator';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { rejectedRowsCsv } from '../../lib/imports/view/report';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip, refusal } from '../helpers/import';
import { withFile } from '../helpers/refusals';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** The extract's file `name` with a NUL inside the last field of its first data row. */
function withNul(extract: GeneratedExtract, name: string): Promise<Buffer> {
  const lines = (extract.files[name] as string).split('\n');
  lines[1] = (lines[1] as string).replace(/"$/, 'x\u0000y"');
  return withFile(extract, name, lines.join('\n'));
}

async function rejected(jobId: number) {
  return t.db<{ file: string; line: number; column: string | null; value: string; code: string }[]>`
    select file, line, "column", value, code from import_errors where job_id = ${jobId} order by line`;
}

describe('a NUL character in an extract', () => {
  it('in a FULL copied into an empty register: the row is rejected, shown as \\0, and the rest imported', async () => {
    const full = new RegisterModel(31).full(1, 40, '2025-01-01');
    const status = await importZip(t.db, full.fileName, await withNul(full, 'denomination.csv'));
    expect(status.job.status).toBe('completed');
    expect(await rejected(status.job.id)).toEqual([
      { file: 'denomination.csv', line: 2, column: 'Denomination', value: expect.stringContaining('x\\0y'), code: 'INVALID_VALUE' },
    ]);
    expect(await rejectedRowsCsv(t.db, status.job.id)).toContain('holds a NUL character (\\0)');
  });

  it('in an UPDATE: rejected (continue) or the file refused naming it (fail-fast)', async () => {
    const model = new RegisterModel(32);
    const full = model.full(1, 40, '2025-01-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const update = model.update(2, '2025-01-02', 0.3);
    const bad = await withNul(update, 'denomination_insert.csv');
    const err = await refusal(prepareImport(t.db, { fileName: update.fileName, data: bad, onError: 'fail-fast' }));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(/denomination_insert\.csv line 2, column Denomination: .*x\\0y.* holds a NUL character/);
    expect(err.message).not.toContain('\u0000');

    const status = await importZip(t.db, update.fileName, bad);
    expect(status.job.status).toBe('completed');
    expect((await rejected(status.job.id)).map((r) => [r.file, r.line, r.code])).toEqual([['denomination_insert.csv', 2, 'INVALID_VALUE']]);
  });

  it('in meta.csv or in an entry\'s name: the zip is refused with a message that holds no NUL', async () => {
    const full = new RegisterModel(33).full(1, 10, '2025-01-01');
    const meta = (full.files['meta.csv'] as string).replace('"Version","', '"Version","1\u0000');
    const badMeta = await refusal(prepareImport(t.db, { fileName: full.fileName, data: await withFile(full, 'meta.csv', meta) }));
    expect(badMeta.code).toBe('VALIDATION');
    expect(badMeta.message).toMatch(/meta\.csv line \d+ holds a NUL character/);

    const zip = await JSZip.loadAsync(await zipExtract(full));
    zip.file('notes\u0000.txt', 'x');
    const badName = await refusal(prepareImport(t.db, { fileName: full.fileName, data: await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }) }));
    expect(badName.code).toBe('VALIDATION');
    expect(badName.message).toContain('"notes\\0.txt"');
    expect(badName.message).not.toContain('\u0000');
    // Nothing was left behind that blocks the next import.
    expect((await importZip(t.db, full.fileName, await zipExtract(full))).job.status).toBe('completed');
  });
});
