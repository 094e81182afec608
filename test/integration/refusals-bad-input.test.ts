/** Bad input in fail-fast mode: each way a zip or a file can be wrong is refused, naming where, and changes nothing. */
import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type GeneratedExtract } from '../../lib/generator/generator';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { importReport, rejectedRowsCsv } from '../../lib/imports/view/report';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, importZip, refusal } from '../helpers/import';
import { registerSnapshot, withEntryHeaders, withFile } from '../helpers/refusals';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

const snapshot = () => registerSnapshot(t.db);

describe('bad input is refused with file, line, column and value, and changes nothing (fail-fast)', () => {
  const cases: [string, (e: GeneratedExtract) => Promise<Buffer | Uint8Array>, RegExp][] = [
    ['not a zip', async () => Buffer.from('this is not a zip'), /not a readable zip file/],
    ['a truncated zip', async (e) => {
      const bytes = await zipExtract(e);
      return bytes.subarray(0, Math.floor(bytes.length * 0.7));
    }, /not a readable zip file: it is damaged, truncated, or not a zip at all/],
    ['a zip bomb (an entry that packs far too well)', async (e) => {
      const zip = await JSZip.loadAsync(await zipExtract(e));
      zip.file('activity_insert.csv', Buffer.concat([Buffer.from(e.files['activity_insert.csv'] as string), Buffer.alloc(64 * 1024 ** 2, 0x20)]));
      return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 } });
    }, /activity_insert\.csv would unpack \d+ times larger than it is packed \(64 MB\); a real extract packs about 5 to 10 times, so this looks like a zip bomb/],
    ['an entry that unpacks past the size its zip declares', async (e) => {
      const bytes = Buffer.from(await zipExtract(e));
      // Understate activity_insert.csv's size in the central directory (the name's second occurrence).
      const name = Buffer.from('activity_insert.csv');
      const central = bytes.indexOf(name, bytes.indexOf(name) + 1) - 46;
      expect(bytes.readUInt32LE(central)).toBe(0x02014b50);
      bytes.writeUInt32LE(10, central + 24);
      return bytes;
    }, /activity_insert\.csv unpacks to more than the 10 bytes its zip entry declares; the zip was refused as a possible zip bomb/],
    ['damaged compressed data inside an entry', async (e) => {
      const bytes = Buffer.from(await zipExtract(e));
      // Scramble the middle of activity_insert.csv's deflated bytes (headers stay intact).
      const at = bytes.indexOf('activity_insert.csv') + 'activity_insert.csv'.length;
      for (let i = at + 40; i < at + 120; i++) bytes[i] = (bytes[i] as number) ^ 0x5a;
      return bytes;
    }, /activity_insert\.csv is damaged inside the zip/],
    ['missing meta.csv', (e) => withFile(e, 'meta.csv', null), /has no meta\.csv/],
    ['unknown ExtractType', (e) => withFile(e, 'meta.csv', (e.files['meta.csv'] as string).replace('"update"', '"weekly"')), /meta\.csv line 4: ExtractType "weekly" is unknown/],
    ['a required file missing', (e) => withFile(e, 'activity_insert.csv', null), /missing activity_insert\.csv/],
    ['a renamed header column', (e) => withFile(e, 'contact_insert.csv', '"EntityNumber","EntityContact","Kind","Value"\n'), /contact_insert\.csv line 1: the header is not the KBO header for this file \(missing "ContactType"; unexpected "Kind"\)/],
    ['a missing header column', (e) => withFile(e, 'contact_insert.csv', '"EntityNumber","EntityContact","ContactType"\n'), /contact_insert\.csv line 1: the header is not the KBO header for this file \(missing "Value"\)/],
    ['an extra header column', (e) => withFile(e, 'contact_insert.csv', '"EntityNumber","EntityContact","ContactType","Value","Extra"\n'), /contact_insert\.csv line 1: the header is not the KBO header for this file \(unexpected "Extra"\)/],
    ['too few fields', (e) => withFile(e, 'branch_insert.csv', '"Id","StartDate","EnterpriseNumber"\n"9.000.000.092",01-01-2020\n'), /branch_insert\.csv line 2: expected 3 fields but found 2/],
    ['a huge single field', (e) => withFile(e, 'denomination_insert.csv', `"EntityNumber","Language","TypeOfDenomination","Denomination"\n"0200.000.043","2","001","${'x'.repeat(100_000)}"\n`), /denomination_insert\.csv line 2, column Denomination: "x{100,}… \(100000 characters\)" is longer than 8192 characters/],
    ['too many fields', (e) => withFile(e, 'branch_insert.csv', '"Id","StartDate","EnterpriseNumber"\n"9.000.000.092",01-01-2020,"0200.000.043","x"\n'), /branch_insert\.csv line 2: expected 3 fields but found 4/],
    ['an impossible date', (e) => withFile(e, 'branch_insert.csv', '"Id","StartDate","EnterpriseNumber"\n"9.000.000.092",31-02-2025,"0200.000.043"\n'), /branch_insert\.csv line 2, column StartDate: "31-02-2025" is not a calendar date/],
    ['a number failing mod-97', (e) => withFile(e, 'enterprise_delete.csv', '"EnterpriseNumber"\n"0200.000.044"\n'), /enterprise_delete\.csv line 2, column EnterpriseNumber: "0200\.000\.044" fails the mod-97 check/],
    ['an unterminated quote', (e) => withFile(e, 'contact_delete.csv', '"EntityNumber"\n"0200.000.043\n'), /contact_delete\.csv line 2 has a quoted field that is never closed/],
    ['invalid UTF-8', async (e) => {
      const zip = await JSZip.loadAsync(await zipExtract(e));
      zip.file('denomination_insert.csv', Buffer.concat([Buffer.from('"EntityNumber","Language","TypeOfDenomination","Denomination"\n"0200.000.043","2","001","Caf'), Buffer.from([0xe9]), Buffer.from('"\n')]));
      return zip.generateAsync({ type: 'nodebuffer' });
    }, /denomination_insert\.csv line 2: the file is not valid UTF-8/],
    ['an entry with ../ in its name', async (e) => {
      // JSZip will not write such a name, so patch it into the bytes (same length, both headers).
      const zip = await JSZip.loadAsync(await zipExtract(e));
      zip.file('XX/evil.csv', 'x', { createFolders: false });
      const bytes = await zip.generateAsync({ type: 'nodebuffer' });
      return Buffer.from(bytes.toString('latin1').replaceAll('XX/evil.csv', '../evil.csv'), 'latin1');
    }, /unsafe path \("\.\.\/evil\.csv"\)/],
    ['two entries with the same name (the second an empty enterprise_insert.csv)', async (e) => {
      const zip = await JSZip.loadAsync(await zipExtract(e));
      zip.file('zzzzzzzzzz_insert.csv', '"EnterpriseNumber","Status","JuridicalSituation","TypeOfEnterprise","JuridicalForm","JuridicalFormCAC","StartDate"\n');
      const bytes = await zip.generateAsync({ type: 'nodebuffer' });
      return Buffer.from(bytes.toString('latin1').replaceAll('zzzzzzzzzz_insert.csv', 'enterprise_insert.csv'), 'latin1');
    }, /^The zip holds enterprise_insert\.csv more than once/],
    ['two meta.csv entries', async (e) => {
      const zip = await JSZip.loadAsync(await zipExtract(e));
      zip.file('zzzz.csv', e.files['meta.csv'] as string);
      const bytes = await zip.generateAsync({ type: 'nodebuffer' });
      return Buffer.from(bytes.toString('latin1').replaceAll('zzzz.csv', 'meta.csv'), 'latin1');
    }, /^The zip holds meta\.csv more than once/],
    ['a data entry compressed with bzip2', async (e) => withEntryHeaders(await zipExtract(e), 'activity_insert.csv', { method: 12 }), /^activity_insert\.csv is compressed with bzip2, which this importer does not read/],
    ['a data entry compressed with LZMA', async (e) => withEntryHeaders(await zipExtract(e), 'contact_insert.csv', { method: 14 }), /^contact_insert\.csv is compressed with LZMA/],
    ['meta.csv compressed with bzip2', async (e) => withEntryHeaders(await zipExtract(e), 'meta.csv', { method: 12 }), /^meta\.csv is compressed with bzip2/],
    ['an encrypted entry', async (e) => withEntryHeaders(await zipExtract(e), 'address_insert.csv', { encrypted: true }), /^address_insert\.csv is encrypted inside the zip/],
    ['an entry with an absolute path', async (e) => {
      const zip = await JSZip.loadAsync(await zipExtract(e));
      zip.file('XX/evil.csv', 'x', { createFolders: false });
      const bytes = await zip.generateAsync({ type: 'nodebuffer' });
      return Buffer.from(bytes.toString('latin1').replaceAll('XX/evil.csv', '/tmp/ev.csv'), 'latin1');
    }, /unsafe path \("\/tmp\/ev\.csv"\)/],
  ];

  it.each(cases)('%s', async (_name, build, message) => {
    const model = new RegisterModel(6);
    const full = model.full(1, 30, '2025-01-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const before = await snapshot();

    const update = model.update(2, '2025-01-02');
    const err = await refusal(prepareImport(t.db, { fileName: update.fileName, data: await build(update), onError: 'fail-fast' }));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toMatch(message);
    expect(await snapshot()).toEqual(before);
    const staged = await t.db`select count(*)::int as n from import_staging_activities`;
    expect(staged[0]?.n).toBe(0);
    // Nothing of the refused job is left to run or to keep: no batches, no stored zip.
    const left = await t.db`
      select (select count(*) from import_job_batches b join import_jobs j on j.id = b.job_id where j.status = 'failed')::int as batches,
             (select count(*) from import_uploads)::int as uploads`;
    expect(left[0]).toEqual({ batches: 0, uploads: 0 });
    // And nothing is left that would block the next import.
    const active = await t.db`select count(*)::int as n from import_jobs where status not in ('completed', 'failed', 'cancelled', 'rolled_back')`;
    expect(active[0]?.n).toBe(0);
  });

  it('stores each rejected row in import_errors and accepts CRLF, a BOM and header-only files', async () => {
    const model = new RegisterModel(8);
    const full = model.full(1, 30, '2025-01-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const update = model.update(2, '2025-01-02');
    const bad = await withFile(update, 'establishment_insert.csv', '"EstablishmentNumber","StartDate","EnterpriseNumber"\n"2.000.000.1",01-01-2020,""\n"2.000.000.042",1-1-2020,""\n');
    const err = await refusal(prepareImport(t.db, { fileName: 'bad.zip', data: bad, onError: 'fail-fast' }));
    const details = err.details as { jobId: number; errorCount: number };
    expect(details.errorCount).toBe(2);
    const rows = await t.db`select file, line, "column", value, code from import_errors where job_id = ${details.jobId} order by line`;
    expect(rows).toEqual([
      { file: 'establishment_insert.csv', line: 2, column: 'EstablishmentNumber', value: '2.000.000.1', code: 'INVALID_NUMBER' },
      { file: 'establishment_insert.csv', line: 3, column: 'StartDate', value: '1-1-2020', code: 'INVALID_DATE' },
    ]);

    // The report: a summary naming the failure, and the rejected rows as CSV.
    const report = await importReport(t.db, details.jobId);
    expect(report.job).toMatchObject({ status: 'failed', fileName: 'bad.zip' });
    expect(report.rejected).toEqual({ total: 2, byFile: { 'establishment_insert.csv': 2 } });
    const csv = (await rejectedRowsCsv(t.db, details.jobId)).split('\r\n');
    expect(csv[0]).toBe('"file","line","column","value","reason","message"');
    expect(csv[1]).toMatch(/^"establishment_insert\.csv","2","EstablishmentNumber","2\.000\.000\.1","INVALID_NUMBER","establishment_insert\.csv line 2, column EstablishmentNumber: /);
    expect(csv).toHaveLength(3);

    // The same update, re-encoded with CRLF line endings and a BOM, and an empty branch file: valid.
    const files: Record<string, string> = {};
    for (const [name, text] of Object.entries(update.files)) files[name] = '\uFEFF' + text.replaceAll('\n', '\r\n');
    files['branch_insert.csv'] = '"Id","StartDate","EnterpriseNumber"\r\n';
    files['README.txt'] = 'not part of an extract';
    const status = await importZip(t.db, 'crlf.zip', await zipExtract({ ...update, files }));
    expect(status.job.status).toBe('completed');
    expect(status.job.warnings).toEqual(['Ignored unknown file README.txt in the zip.']);
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });
});
