import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSeries, RegisterModel, zipExtract } from '../lib/generator';

/**
 * Writes sample extracts to public/samples (once) to try the app with: a FULL 146, UPDATEs
 * 147–149, then (extract 150 missed, rows corrected upstream) a FULL 151 that resyncs. Their
 * names carry the dates of the real register's files (extract 147 is 2025_10_12). Samples
 * of an older run, named otherwise, are replaced.
 */
async function main() {
  const dir = path.join(process.cwd(), 'public', 'samples');
  const last = path.join(dir, 'KboOpenData_0151_2025_10_16_Full.zip');
  if (existsSync(last)) return;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let model: RegisterModel | undefined;
  for (const step of generateSeries({ enterprises: 2_000, updates: 3, base: 146, seed: 1, start: '2025-10-11' })) {
    await writeFile(path.join(dir, step.extract.fileName), await zipExtract(step.extract));
    console.log(`sample: public/samples/${step.extract.fileName}`);
    model = step.model;
  }
  (model as RegisterModel).drift(0.01);
  const resync = (model as RegisterModel).snapshot(151, '2025-10-16');
  await writeFile(path.join(dir, resync.fileName), await zipExtract(resync));
  console.log(`sample: public/samples/${resync.fileName} (a resync)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
