import { describe, expect, it } from 'vitest';
import { tableSpec } from '../../kbo/spec';
import { PARTITIONS, partitionOf } from '../../db/partitions';
import { batchOf, batchesFor, batchPartition, checkHeader, copyLine, mapRecords, runawayQuote } from './rows';

const branches = tableSpec('branches').columns;

describe('checkHeader', () => {
  it('accepts the exact header and names what differs otherwise', () => {
    expect(checkHeader('branch.csv', branches, ['Id', 'StartDate', 'EnterpriseNumber'])).toBeNull();
    const e = checkHeader('branch.csv', branches, ['Id', 'Start', 'EnterpriseNumber', 'Extra']);
    expect(e?.message).toMatch(/branch\.csv line 1: .*missing "StartDate"; unexpected "Start", "Extra"/);
    expect(checkHeader('branch.csv', branches, ['StartDate', 'Id', 'EnterpriseNumber'])?.message).toMatch(/wrong order/);
  });
});

describe('mapRecords', () => {
  it('normalises valid rows and reports each bad field with file, line, column and value', () => {
    const { valid, invalid } = mapRecords('branch_insert.csv', branches, [
      { line: 2, fields: ['9.000.000.092', '01-02-2020', ''] },
      { line: 3, fields: ['9.000.000.093', '30-02-2020', '0200.000.043'] },
      { line: 4, fields: ['9.000.000.092'] },
    ]);
    expect(valid).toEqual([{ line: 2, values: ['9.000.000.092', '2020-02-01', null] }]);
    expect(invalid.map((e) => [e.line, e.column, e.value, e.code])).toEqual([
      [3, 'Id', '9.000.000.093', 'INVALID_NUMBER'],
      [3, 'StartDate', '30-02-2020', 'INVALID_DATE'],
      [4, null, '9.000.000.092', 'FIELD_COUNT'],
    ]);
    expect(invalid[0]?.message).toBe('branch_insert.csv line 3, column Id: "9.000.000.093" fails the mod-97 check (its last two digits do not match the first eight).');
  });
  it('refuses an empty key and a huge field', () => {
    const { invalid } = mapRecords('branch_insert.csv', branches, [
      { line: 2, fields: ['', '', ''] },
      { line: 3, fields: ['9.000.000.092', '', 'x'.repeat(10_000)] },
    ]);
    expect(invalid.map((e) => e.message)).toEqual([
      expect.stringMatching(/column Id: "" is empty, but this column is required/),
      expect.stringMatching(/column EnterpriseNumber: "x{200}… \(10000 characters\)" is longer than 8192 characters/),
    ]);
  });
});

describe('COPY encoding and batch numbers', () => {
  it('escapes COPY text specials and writes NULL as \\N', () => {
    expect(copyLine([1, 'a\tb', 'c\\d', 'line\nbreak', null])).toBe('1\ta\\tb\tc\\\\d\tline\\nbreak\t\\N\n');
  });
  it('puts one key in one batch, always, and spreads keys over all batches', () => {
    expect(batchOf('0552.627.113', 16)).toBe(batchOf('0552.627.113', 16));
    expect(batchOf('anything', 1)).toBe(0);
    const seen = new Set(Array.from({ length: 2_000 }, (_, i) => batchOf(`0${i}.000.000`, 16)));
    expect(seen.size).toBe(16);
  });
  it('aligns batches with partitions when there are a multiple of them: each batch holds one partition\'s keys', () => {
    const keys = Array.from({ length: 5_000 }, (_, i) => `0${String(i * 7919).padStart(3, '0')}.${i % 1000}.113`);
    for (const batches of [PARTITIONS, 2 * PARTITIONS, 5 * PARTITIONS]) {
      const seen = new Set<number>();
      for (const k of keys) {
        const b = batchOf(k, batches);
        seen.add(b);
        expect(b).toBeLessThan(batches);
        expect(batchPartition(b, batches)).toBe(partitionOf(k));
      }
      expect(seen.size).toBe(batches);
    }
    expect(batchPartition(3, 16)).toBeNull();
    expect(batchPartition(0, 1)).toBeNull();
  });
  it('sizes batches: about batchSize rows, a multiple of the partitions from half as many batches on', () => {
    expect(batchesFor(0, 5_000)).toBe(1);
    expect(batchesFor(1_183, 5_000)).toBe(1);
    expect(batchesFor(15 * 5_000, 5_000)).toBe(15);
    expect(batchesFor(15 * 5_000 + 1, 5_000)).toBe(PARTITIONS);
    expect(batchesFor(33 * 5_000, 5_000)).toBe(2 * PARTITIONS);
  });
});

describe('runawayQuote', () => {
  it('refuses a record that runs over lines and then does not fit, naming the line the quote opened on', () => {
    const swallowed = runawayQuote('branch.csv', branches, { line: 3, fields: ['9.000.000.093', '01-02-2020\n"9.000.000.094', '01-02-2020', '0200.000.043'], nextLine: 5 }, true);
    expect(swallowed).toMatchObject({ line: 3, code: 'UNTERMINATED_QUOTE' });
    expect(swallowed?.message).toBe(
      'branch.csv line 3: a quoted field opened on this line runs on to line 4, and the record it makes has 4 fields, not 3: a closing quote is missing on line 3.',
    );
    const fits = runawayQuote('branch.csv', branches, { line: 3, fields: ['9.000.000.093', '01-02\n2020"x', '0200.000.043'], nextLine: 4 }, true);
    expect(fits?.message).toMatch(/runs on to line 3, and a quote closes inside a value there/);
  });
  it('lets a quoted newline through, and leaves one-line records to the field checks', () => {
    expect(runawayQuote('branch.csv', branches, { line: 3, fields: ['9.000.000.093', 'two\nlines', ''], nextLine: 5 }, false)).toBeNull();
    expect(runawayQuote('branch.csv', branches, { line: 3, fields: ['9.000.000.093', '01-02-2020'] }, true)).toBeNull();
  });
});
