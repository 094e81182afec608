import { createInflateRaw } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readEntry } from './inflate';

/** An entry whose deflated bytes are garbage: zlib fails at once, before anyone reads. */
function damagedEntry(opened: { n: number }) {
  return () => {
    opened.n++;
    const inflate = createInflateRaw();
    inflate.end(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x12, 0x34]));
    return inflate;
  };
}

describe('readEntry', () => {
  it('hands damage found before the first read to that read, not to nobody', async () => {
    const opened = { n: 0 };
    const chunks = readEntry(damagedEntry(opened), 1_000, 'activity_insert.csv', { offset: 0, line: 1 });
    // A step does other work (queries, COPY set-up) between making its reader and reading.
    await new Promise((r) => setTimeout(r, 30));
    await expect(chunks.next()).rejects.toThrow(/activity_insert\.csv is damaged inside the zip \(it cannot be decompressed/);
    expect(opened.n).toBe(1);
  });

  it('opens nothing for a reader dropped before it read', async () => {
    const opened = { n: 0 };
    const chunks = readEntry(damagedEntry(opened), 1_000, 'activity_insert.csv', { offset: 0, line: 1 });
    await chunks.return(undefined);
    await new Promise((r) => setTimeout(r, 30));
    expect(opened.n).toBe(0);
  });
});
