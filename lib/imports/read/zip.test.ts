import { describe, expect, it } from 'vitest';
import { checkSizes, parseMeta, checkEntries } from './zip';

const meta = (type = 'update', number = '147', snapshot = '11-10-2025') =>
  `"Variable","Value"\n"SnapshotDate","${snapshot}"\n"ExtractTimestamp","12-10-2025 07:40:18"\n"ExtractType","${type}"\n"ExtractNumber","${number}"\n"Version","1.0.0"\n`;

describe('parseMeta', () => {
  it('reads the real meta.csv shape', () => {
    expect(parseMeta(meta())).toEqual({
      snapshotDate: '2025-10-11',
      extractTimestamp: '12-10-2025 07:40:18',
      extractType: 'update',
      extractNumber: 147,
      version: '1.0.0',
    });
  });
  it('names the bad variable and its line', () => {
    expect(() => parseMeta(meta('weekly'))).toThrow('meta.csv line 4: ExtractType "weekly" is unknown; expected "full" or "update".');
    expect(() => parseMeta(meta('full', 'x1'))).toThrow(/ExtractNumber "x1" is not a whole number/);
    expect(() => parseMeta(meta('full', '1', '32-01-2025'))).toThrow(/SnapshotDate "32-01-2025"/);
    expect(() => parseMeta('"Variable","Value"\n"ExtractType","full"\n')).toThrow(/ExtractNumber is missing/);
  });
  it('refuses an open or stray quote and a record that runs over lines, naming the line', () => {
    // The closing quote of SnapshotDate's value is missing: it swallows the next line.
    const open = meta().replace('"11-10-2025"', '"11-10-2025');
    expect(() => parseMeta(open)).toThrow(/^meta\.csv line 2/);
    expect(() => parseMeta(`${meta()}"Note","never closed\n`)).toThrow('meta.csv line 7 has a quoted field that is never closed');
    expect(() => parseMeta(meta().replace('"Version","1.0.0"', '"Version","1.0.0","x"'))).toThrow('meta.csv line 6: expected 2 fields on one line ("Variable","Value") but found 3.');
    // Blank lines count as lines.
    expect(() => parseMeta(meta('weekly').replace('"ExtractTimestamp"', '\n"ExtractTimestamp"'))).toThrow('meta.csv line 5: ExtractType "weekly" is unknown');
  });
});

describe('checkSizes (zip bomb limits, from the declared sizes alone)', () => {
  it('accepts what real extracts look like', () => {
    expect(() => checkSizes([{ name: 'activity.csv', compressed: 150e6, uncompressed: 1.5e9 }, { name: 'meta.csv', compressed: 116, uncompressed: 151 }])).not.toThrow();
  });
  it('refuses a ratio far beyond CSV, an oversized file or meta.csv, and too much in all', () => {
    expect(() => checkSizes([{ name: 'code.csv', compressed: 10_000, uncompressed: 100e6 }])).toThrow(/code\.csv would unpack 10000 times larger than it is packed/);
    expect(() => checkSizes([{ name: 'activity.csv', compressed: 1e9, uncompressed: 5 * 1024 ** 3 }])).toThrow(/activity\.csv would unpack to 5,120 MB, over the 4,096 MB/);
    expect(() => checkSizes([{ name: 'meta.csv', compressed: 60_000, uncompressed: 100_000 }])).toThrow(/meta\.csv would unpack to 98 KB, over the 64 KB/);
    const many = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.csv`, compressed: 1e9, uncompressed: 3.9 * 1024 ** 3 }));
    expect(() => checkSizes(many)).toThrow(/The zip would unpack to 19,968 MB, over the 16,384 MB limit/);
  });
});

describe('checkEntries', () => {
  const ok = { name: 'enterprise_insert.csv', method: 8, encrypted: false };
  it('takes deflated and stored entries, each name once', () => {
    expect(() => checkEntries([ok, { name: 'meta.csv', method: 0, encrypted: false }])).not.toThrow();
  });
  it('refuses a name given twice, a method it cannot read and an encrypted entry, naming the entry', () => {
    expect(() => checkEntries([ok, { ...ok }])).toThrow(/^The zip holds enterprise_insert\.csv more than once/);
    expect(() => checkEntries([{ ...ok, method: 12 }])).toThrow(/^enterprise_insert\.csv is compressed with bzip2, which this importer does not read/);
    expect(() => checkEntries([{ ...ok, method: 14 }])).toThrow(/compressed with LZMA/);
    expect(() => checkEntries([{ ...ok, method: 77 }])).toThrow(/compressed with compression method 77/);
    expect(() => checkEntries([{ ...ok, encrypted: true }])).toThrow(/^enterprise_insert\.csv is encrypted inside the zip/);
  });
});
