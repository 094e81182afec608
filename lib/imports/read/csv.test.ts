import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES, readCsv, type CsvChunk, type CsvPosition, type CsvRecord } from './csv';

async function parse(input: Buffer | string, chunkSize = 7): Promise<CsvChunk> {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input);
  // Small chunks: rows, quotes and multi-byte characters get split across reads.
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) parts.push(bytes.subarray(i, i + chunkSize));
  const out: CsvChunk = { records: [], problems: [] };
  for await (const chunk of readCsv(Readable.from(parts), 'x.csv')) {
    out.records.push(...chunk.records);
    out.problems.push(...chunk.problems);
  }
  return out;
}

describe('readCsv', () => {
  it('reads the KBO dialect: quoted commas, "" escapes, ,, and "" empties, bare dates', async () => {
    const { records, problems } = await parse('"A","B","C"\n"Callebaut, Brenda","Bistro ""De Kroon""",\n"x","",15-09-2025\n');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['A', 'B', 'C'] },
      { line: 2, fields: ['Callebaut, Brenda', 'Bistro "De Kroon"', ''] },
      { line: 3, fields: ['x', '', '15-09-2025'] },
    ]);
  });
  it('counts lines across quoted newlines, CRLF and blank lines, and drops a BOM', async () => {
    const { records } = await parse('\uFEFF"A","B"\r\n"multi\r\nline","é"\r\n\r\n"z","ü"\r\n');
    expect(records).toEqual([
      { line: 1, fields: ['A', 'B'] },
      { line: 2, fields: ['multi\r\nline', 'é'], nextLine: 4 },
      { line: 5, fields: ['z', 'ü'] },
    ]);
  });
  it('reports an unterminated quote on the line it starts', async () => {
    const { problems } = await parse('"A"\n"ok"\n"never closed\nmore text\n');
    expect(problems).toEqual([{ line: 3, code: 'UNTERMINATED_QUOTE', message: expect.stringMatching(/quoted field that is never closed/), fatal: true }]);
    // A quote that closes too early leaves a stray character after it.
    const stray = await parse('"A"\n"ok"\n"12" screen"\n');
    expect(stray.problems).toEqual([{ line: 3, code: 'MALFORMED_QUOTES', message: expect.stringMatching(/stray character after a closing quote/), fatal: false }]);
  });
  it('fails invalid UTF-8 naming the line', async () => {
    const bytes = Buffer.concat([Buffer.from('"A"\n"fine"\n"caf'), Buffer.from([0xe9, 0x22, 0x0a])]);
    await expect(parse(bytes, 1024)).rejects.toThrow(/x\.csv line 3: the file is not valid UTF-8/);
  });
});

describe('readCsv and a failing source', () => {
  it('reports a source that failed before reading began, instead of waiting for it forever', async () => {
    const { PassThrough } = await import('node:stream');
    const source = new PassThrough();
    source.on('error', () => {}); // someone else (stageFile's pipeline) heard it
    source.destroy(new Error('invalid block type'));
    await new Promise((r) => setImmediate(r)); // the error event has come and gone
    const read = async () => {
      for await (const _ of readCsv(source, 'activity.csv')) void _;
    };
    await expect(read()).rejects.toThrow('invalid block type');
  });

  it('reports a source that fails mid-way', async () => {
    const { PassThrough } = await import('node:stream');
    const source = new PassThrough();
    source.write('"a","b"\n"1","2"\n');
    setTimeout(() => source.destroy(new Error('unexpected end of file')), 10);
    const read = async () => {
      for await (const _ of readCsv(source, 'activity.csv')) void _;
    };
    await expect(read()).rejects.toThrow('unexpected end of file');
  });
});

describe('readCsv positions', () => {
  it('resumes from any chunk end and sees exactly the records after it', async () => {
    const rows = Array.from({ length: 40_000 }, (_, i) => `"${i}","multi\nline ${i}, with ""quotes""",${i % 7 === 0 ? '' : '""'}\r\n`);
    const bytes = Buffer.from(`"A","B","C"\r\n${rows.join('')}`);
    const source = () => Readable.from([bytes.subarray(0, 100_003), bytes.subarray(100_003, 700_001), bytes.subarray(700_001)]);
    const all: CsvRecord[] = [];
    const ends: CsvPosition[] = [];
    for await (const chunk of readCsv(source(), 'x.csv')) {
      all.push(...chunk.records);
      ends.push(chunk.end);
    }
    expect(all).toHaveLength(40_001);
    expect(all[40_000]).toEqual({ line: 80_000, fields: ['39999', 'multi\nline 39999, with "quotes"', ''], nextLine: 80_002 });
    expect(ends.length).toBeGreaterThan(2);
    for (const from of ends.slice(0, -1)) {
      const rest: CsvRecord[] = [];
      for await (const chunk of readCsv(source(), 'x.csv', from)) rest.push(...chunk.records);
      expect(rest[0]?.line).toBe(from.line);
      expect(rest).toEqual(all.slice(all.length - rest.length));
    }
    expect(ends.at(-1)?.offset).toBe(bytes.length);
  });

  it('gives up on a quote left open for megabytes instead of holding the file', async () => {
    const big = Buffer.from(`"A"\n"ok"\n"never closed ${'x'.repeat(MAX_RECORD_BYTES + 10)}\nmore\n`);
    const { problems } = await parse(big, 64 * 1024);
    expect(problems).toEqual([{ line: 3, code: 'UNTERMINATED_QUOTE', message: expect.stringMatching(/never closed/), fatal: true }]);
  });

  it('tells a huge value from a quote never closed, without holding it', async () => {
    const field = 'x'.repeat(50 * 1024 * 1024);
    const quoted = await parse(Buffer.from(`"A","B"\n"ok","1"\n"huge","${field}"\n"after","2"\n`), 1024 * 1024);
    expect(quoted.problems).toEqual([{ line: 3, code: 'RECORD_TOO_LONG', message: expect.stringMatching(/record of 50 MB, more than the 8 MB/), fatal: true }]);
    expect(quoted.problems[0]?.message).not.toMatch(/never closed/);
    const bare = await parse(Buffer.from(`"A","B"\n"ok","1"\n"huge",${field}`), 1024 * 1024);
    expect(bare.problems).toEqual([{ line: 3, code: 'RECORD_TOO_LONG', message: expect.stringMatching(/record of 50 MB/), fatal: true }]);
    expect(quoted.records.map((r) => r.line)).toEqual([1, 2]);
  });
});
