/** Imports refused for their place in the sequence or a file already under way, and continue mode, where bad rows are left out (fail-fast bad input: refusals-bad-input.test.ts). */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract } from '../../lib/generator/generator';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, fixtureZip, importZip, refusal } from '../helpers/import';
import { registerSnapshot, withFile } from '../helpers/refusals';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

const snapshot = () => registerSnapshot(t.db);

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
