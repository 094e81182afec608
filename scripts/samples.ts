import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import JSZip from 'jszip';
import { generateSeries, RegisterModel, zipExtract } from '../lib/generator';

/**
 * Writes sample extracts to public/samples (once) to try the app with: a FULL 146, UPDATEs
 * 147–149, then (extract 150 missed, rows corrected upstream) a FULL 151 that resyncs. Their
 * names carry the dates of the real register's files (extract 147 is 2025_10_12). Each carries
 * the real register's code table (21,500 rows, from the extract kept in test/fixtures/kbo), so
 * statuses, forms, NACE codes and the rest read as text. Samples of an older run (another
 * VERSION) are replaced.
 */
const VERSION = '2: the real code table';
const REAL_EXTRACT = path.join(process.cwd(), 'test', 'fixtures', 'kbo', 'KboOpenData_0147_2025_10_12_Update.zip');

/** The samples, as files: their names and bytes, in the order to import them. */
export async function sampleFiles(): Promise<{ name: string; bytes: Buffer; note: string }[]> {
  // Without the kept extract (a deployment that ships no test/), the generator's own small table.
  const codes = existsSync(REAL_EXTRACT) ? await (await JSZip.loadAsync(readFileSync(REAL_EXTRACT))).file('code.csv')?.async('string') : undefined;
  const out: { name: string; bytes: Buffer; note: string }[] = [];
  const add = async (extract: ReturnType<RegisterModel['snapshot']>, note = '') =>
    out.push({ name: extract.fileName, bytes: await zipExtract(codes ? { ...extract, files: { ...extract.files, 'code.csv': codes } } : extract), note });
  let model: RegisterModel | undefined;
  for (const step of generateSeries({ enterprises: 2_000, updates: 3, base: 146, seed: 1, start: '2025-10-11' })) {
    await add(step.extract);
    model = step.model;
  }
  (model as RegisterModel).drift(0.01);
  await add((model as RegisterModel).snapshot(151, '2025-10-16'), ' (a resync)');
  return out;
}

async function main() {
  const dir = path.join(process.cwd(), 'public', 'samples');
  const marker = path.join(dir, 'VERSION');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === VERSION) return;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const f of await sampleFiles()) {
    await writeFile(path.join(dir, f.name), f.bytes);
    console.log(`sample: public/samples/${f.name}${f.note}`);
  }
  await writeFile(marker, VERSION);
}

// Run as a script (npm run dev / start); imported by the e2e story for the same files.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
