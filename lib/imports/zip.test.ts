import { describe, expect, it } from 'vitest';
import { parseMeta } from './zip';

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
});
