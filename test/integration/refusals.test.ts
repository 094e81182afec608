import { randomBytes } from 'node:crypto';
import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type GeneratedExtract } from '../../lib/generator/generator';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { importReport, rejectedRowsCsv } from '../../lib/imports/view/report';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, fixtureZip, importZip, refusal } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

async function snapshot() {
  return Promise.all([...DATA_TABLES, 'codes' as const].map((table) => currentRows(t.db, table)));
}

/** The zip with one entry's method or encryption flag changed in its local and central headers. */
function withEntryHeaders(zip: Uint8Array, name: string, change: { method?: number; encrypted?: boolean }): Buffer {
  const bytes = Buffer.from(zip);
  const n = Buffer.from(name);
  const local = bytes.indexOf(n) - 30;
  const central = bytes.indexOf(n, bytes.indexOf(n) + 1) - 46;
  expect(bytes.readUInt32LE(local)).toBe(0x04034b50);
  expect(bytes.readUInt32LE(central)).toBe(0x02014b50);
  for (const [flags, method] of [[local + 6, local + 8], [central + 8, central + 10]] as const) {
    if (change.method !== undefined) bytes.writeUInt16LE(change.method, method);
    if (change.encrypted) bytes.writeUInt16LE(bytes.readUInt16LE(flags) | 0x1, flags);
  }
  return bytes;
}

async function withFile(extract: GeneratedExtract, name: string, text: string | null): Promise<Buffer> {
  const files = { ...extract.files };
  if (text === null) delete files[name];
  else files[name] = text;
  return zipExtract({ ...extract, files });
}

describe('sequencing', () => {
  it('refuses a repeat, an out-of-sequence update, and a FULL older than the database; force overrides the sequence', async () => {
    const model = new RegisterModel(2);
    const full = model.full(100, 50, '2025-01-01');
    const fullZip = await zipExtract(full);
    await importZip(t.db, full.fileName, fullZip);

    const again = await refusal(prepareImport(t.db, { fileName: 'again.zip', data: fullZip }));
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toMatch(/already imported as import #1 \(extract 100\)/);

    const u101 = model.update(101, '2025-01-02');
    const u102 = model.update(102, '2025-01-03');
    const skipped = await refusal(prepareImport(t.db, { fileName: u102.fileName, data: await zipExtract(u102) }));
    expect(skipped.code).toBe('PRECONDITION_FAILED');
    expect(skipped.message).toMatch(/out of sequence: the last applied extract is 100, so the next one must be 101/);

    const olderFull = new RegisterModel(3).full(99, 10, '2024-12-31');
    const older = await refusal(prepareImport(t.db, { fileName: olderFull.fileName, data: await zipExtract(olderFull) }));
    expect(older.code).toBe('PRECONDITION_FAILED');
    expect(older.message).toMatch(/FULL 99 is older than extract 100/);

    expect((await importZip(t.db, u101.fileName, await zipExtract(u101))).job.status).toBe('completed');
    expect((await importZip(t.db, u102.fileName, await zipExtract(u102))).job.status).toBe('completed');

    // The real extract 147 is far out of sequence here: refused, unless forced.
    const real = await refusal(prepareImport(t.db, { fileName: 'real.zip', data: fixtureZip() }));
    expect(real.message).toMatch(/next one must be 103/);
    expect((await importZip(t.db, 'real.zip', fixtureZip(), { force: true })).job.forced).toBe(true);
  });

  it('refuses an update when nothing was imported yet, and a second import while one runs', async () => {
    const first = await refusal(prepareImport(t.db, { fileName: 'real.zip', data: fixtureZip() }));
    expect(first.message).toMatch(/Import a FULL extract first/);

    const model = new RegisterModel(4);
    const full = model.full(1, 20, '2025-01-01');
    const prepared = await prepareImport(t.db, { fileName: full.fileName, data: await zipExtract(full) });
    const update = model.update(2, '2025-01-02');
    const busy = await refusal(prepareImport(t.db, { fileName: update.fileName, data: await zipExtract(update) }));
    expect(busy.code).toBe('CONFLICT');
    expect(busy.message).toMatch(new RegExp(`Import #${prepared.job.id} \\(extract 1\\) is still in progress`));
  });
});

describe('the same file again while its import is unfinished', () => {
  it('is reported as resumable, naming the job, not as already imported', async () => {
    const model = new RegisterModel(14);
    const full = model.full(1, 20, '2025-01-01');
    const data = await zipExtract(full);
    const prepared = await prepareImport(t.db, { fileName: full.fileName, data });
    const again = await refusal(prepareImport(t.db, { fileName: full.fileName, data }));
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toBe(`This file is already being imported as import #${prepared.job.id} (extract 1, running); open that import to follow or resume it.`);
    expect(again.details).toEqual({ jobId: prepared.job.id, status: 'running', resumable: true });
  });
});

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

describe('continue mode (the default): bad rows are rejected, the rest imported', () => {
  const bad = [
    '"0200.000.044","2","001","Mod-97 fails"', // line n+1
    '"0200.000.043","2","001"', // too few fields
  ];

  async function withBadRows(seed: number) {
    const model = new RegisterModel(seed);
    // Large enough that two bad rows stay under the default 1% limit.
    const full = model.full(1, 2_000, '2025-01-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const update = model.update(2, '2025-01-02');
    const text = update.files['denomination_insert.csv'] as string;
    const lines = text.split('\n').filter(Boolean).length;
    const files = { ...update.files, 'denomination_insert.csv': `${text}${bad.join('\n')}\n` };
    return { model, update, data: await zipExtract({ ...update, files }), firstBadLine: lines + 1 };
  }

  it('completes with the good rows, and keeps each bad row with file, line, column and value', async () => {
    const { model, update, data, firstBadLine } = await withBadRows(31);
    const status = await importZip(t.db, update.fileName, data);
    expect(status.job.status).toBe('completed');
    expect(status.rejected).toBe(2);
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
    const rows = await t.db`select file, line, "column", value, code from import_errors where job_id = ${status.job.id} order by line`;
    expect(rows).toEqual([
      { file: 'denomination_insert.csv', line: firstBadLine, column: 'EntityNumber', value: '0200.000.044', code: 'INVALID_NUMBER' },
      { file: 'denomination_insert.csv', line: firstBadLine + 1, column: null, value: '0200.000.043,2,001', code: 'FIELD_COUNT' },
    ]);
  });

  it('fails past a count or percentage threshold, changing nothing', async () => {
    const { update, data } = await withBadRows(32);
    const before = await snapshot();
    const byCount = await refusal(prepareImport(t.db, { fileName: update.fileName, data, maxRejected: 1 }));
    expect(byCount.message).toMatch(/^2 rows were rejected, more than the 1 allowed; nothing was imported\. First problem: denomination_insert\.csv line \d+, column EntityNumber/);
    const byShare = await refusal(prepareImport(t.db, { fileName: update.fileName, data, maxRejectedPercent: 0.01 }));
    expect(byShare.message).toMatch(/^2 rows were rejected \([\d.]+% of \d+\), more than the 0\.01% allowed; nothing was imported\. Is this the right file\?/);
    expect(await snapshot()).toEqual(before);
  });

  it('still refuses the whole file for an error no row can be read past', async () => {
    const model = new RegisterModel(33);
    const full = model.full(1, 30, '2025-01-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const before = await snapshot();
    const update = model.update(2, '2025-01-02');
    const header = await refusal(prepareImport(t.db, { fileName: 'h.zip', data: await withFile(update, 'contact_insert.csv', '"EntityNumber","Kind"\n') }));
    expect(header.message).toMatch(/contact_insert\.csv line 1: the header is not the KBO header .* The rest of contact_insert\.csv cannot be read reliably, so nothing was imported\./);
    const quote = await refusal(prepareImport(t.db, { fileName: 'q.zip', data: await withFile(update, 'contact_delete.csv', '"EntityNumber"\n"0200.000.043\n') }));
    expect(quote.message).toMatch(/contact_delete\.csv line 2 has a quoted field that is never closed/);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a file where a quote opened mid-file swallows the good rows after it, naming the line it opened on', async () => {
    const model = new RegisterModel(34);
    const full = model.full(1, 30, '2025-01-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const before = await snapshot();
    const update = model.update(2, '2025-01-02');
    const text = update.files['denomination_insert.csv'] as string;
    const lines = text.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    // The closing quote of line 3's last field is missing: papaparse would close it at the
    // first quote of line 4, gluing the two rows into one bad record and losing line 4.
    const open = [...lines.slice(0, 2), (lines[2] as string).replace(/"$/, ''), ...lines.slice(3)].join('\n') + '\n';
    const refused = await refusal(prepareImport(t.db, { fileName: 'open.zip', data: await withFile(update, 'denomination_insert.csv', open) }));
    expect(refused.message).toMatch(/^denomination_insert\.csv line 3: a quoted field opened on this line runs on to line 4, and the record it makes has \d+ fields, not 4: a closing quote is missing on line 3\. The rest of denomination_insert\.csv cannot be read reliably/);
    expect(await snapshot()).toEqual(before);
    // The same row with its quote open at the end of the file, and a 50 MB value, are refused too.
    const atEnd = await refusal(prepareImport(t.db, { fileName: 'end.zip', data: await withFile(update, 'denomination_insert.csv', `${text}"0200.000.043","2","001","never closed\n`) }));
    expect(atEnd.message).toContain(`denomination_insert.csv line ${lines.length + 1} has a quoted field that is never closed`);
    // Random, so it does not pack like a zip bomb.
    const huge = `${text}"0200.000.043","2","001","${randomBytes(0.75 * 50 * 1024 * 1024).toString('base64')}"\n`;
    const tooLong = await refusal(prepareImport(t.db, { fileName: 'huge.zip', data: await withFile(update, 'denomination_insert.csv', huge) }));
    expect(tooLong.message).toMatch(new RegExp(`denomination_insert\\.csv line ${lines.length + 1} holds a record of 50 MB, more than the 8 MB`));
    expect(tooLong.message).not.toMatch(/never closed/);
    expect(await snapshot()).toEqual(before);
    // None of them blocks the next import: the file as published imports exactly.
    const status = await importZip(t.db, update.fileName, await zipExtract(update));
    expect(status.job.status).toBe('completed');
    for (const table of DATA_TABLES) expect(await currentRows(t.db, table)).toEqual(model.currentRows(table));
  });
});
