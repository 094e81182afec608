import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { writeFullZip } from './full-zip';
import { generateSeries, RegisterModel, zipExtract } from './generator';
import { filesFor, KBO_TABLES } from '../kbo/spec';
import { checkNumber } from '../kbo/values';

describe('generator', () => {
  it('never lists a key twice where the register holds one row per key: the samples series, its drift and resync', () => {
    // The samples (scripts/samples.ts): FULL 146, UPDATEs 147–149, then drift and the FULL 151.
    let model: RegisterModel | undefined;
    const extracts = [];
    for (const step of generateSeries({ enterprises: 2_000, updates: 3, base: 146, seed: 1, start: '2025-10-11' })) {
      extracts.push(step.extract);
      model = step.model;
    }
    model!.drift(0.01);
    extracts.push(model!.snapshot(151, '2025-10-16'));
    for (const x of extracts) {
      for (const t of KBO_TABLES.filter((k) => k.oneRowPerKey)) {
        const name = x.type === 'full' ? `${t.file}.csv` : `${t.file}_insert.csv`;
        const keys = (x.files[name] ?? '').split('\n').slice(1).filter(Boolean).map((l) => l.split(',')[0]);
        if (x.type === 'full') expect(keys.length, `${x.fileName} ${name}`).toBeGreaterThan(0);
        expect(new Set(keys).size, `${x.fileName} ${name}: a key twice`).toBe(keys.length);
      }
    }
  });

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const out: string[] = [];
      for (const { extract } of generateSeries({ enterprises: 50, updates: 2, base: 7, seed: 42 })) out.push(JSON.stringify(extract.files));
      return out;
    };
    expect(await run()).toEqual(await run());
  });
  it('writes every file an extract needs, in the real dialect, with valid numbers', async () => {
    const [full, update] = [...generateSeries({ enterprises: 200, updates: 1, base: 7, seed: 1 })].map((s) => s.extract);
    for (const e of [full, update]) {
      const zip = await JSZip.loadAsync(await zipExtract(e!));
      const names = Object.keys(zip.files).sort();
      expect(names).toEqual(['meta.csv', ...filesFor(e!.type).map((p) => p.name)].sort());
    }
    const denominations = full!.files['denomination.csv'] as string;
    expect(denominations).toMatch(/"[A-Za-z]+, [A-Za-z]+"/); // a quoted comma
    expect(denominations).toMatch(/""[A-Za-z]+""/); // an escaped quote
    expect(full!.files['enterprise.csv']).toMatch(/,,\d{2}-\d{2}-\d{4}\n/); // ,, then a bare date
    expect(full!.files['address.csv']).toMatch(/,"",/); // "" as an empty
    const numbers = (full!.files['establishment.csv'] as string).match(/"\d\.\d{3}\.\d{3}\.\d{3}"/g) ?? [];
    expect(numbers.length).toBeGreaterThan(10);
    for (const n of numbers) expect(checkNumber(n.slice(1, -1), 'establishment').ok).toBe(true);
    // A key both deleted and inserted ("modified").
    const deleted = new Set((update!.files['enterprise_delete.csv'] as string).split('\n').slice(1, -1));
    const inserted = (update!.files['enterprise_insert.csv'] as string).split('\n').slice(1, -1).map((l) => l.split(',')[0]);
    expect(inserted.some((k) => deleted.has(k as string))).toBe(true);
  });
  it('streams a FULL to disk with the same files, in key order, as the one it holds in memory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gen-test-'));
    try {
      // Enough enterprises for branches (2%) and every kind of key to interleave.
      const held = new RegisterModel(5).full(9, 3_000, '2025-03-04');
      const out = path.join(dir, 'full.zip');
      const streamed = await writeFullZip(new RegisterModel(5), { number: 9, enterprises: 3_000, snapshotDate: '2025-03-04', out });
      expect(streamed).toEqual({ fileName: held.fileName, rows: held.rows });
      const zip = await JSZip.loadAsync(await readFile(out));
      expect(Object.keys(zip.files).sort()).toEqual(Object.keys(held.files).sort());
      for (const [name, text] of Object.entries(held.files)) expect(await zip.file(name)?.async('string'), name).toBe(text);
      const keys = (held.files['denomination.csv'] as string).split('\n').slice(1, -1).map((l) => l.split(',')[0] as string);
      expect(keys.some((k) => k.startsWith('"9.'))).toBe(true);
      expect(keys).toEqual([...keys].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
