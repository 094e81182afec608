import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateSeries, zipExtract } from '../lib/datasets/generator';

/** Writes sample extracts to public/samples (once): a FULL 146 and UPDATEs 147–149 to try the app with. */
async function main() {
  const dir = path.join(process.cwd(), 'public', 'samples');
  if (existsSync(path.join(dir, 'KboOpenData_0146_2025_10_10_Full.zip'))) return;
  await mkdir(dir, { recursive: true });
  for (const { extract } of generateSeries({ enterprises: 2_000, updates: 3, base: 146, seed: 1, start: '2025-10-10' })) {
    await writeFile(path.join(dir, extract.fileName), await zipExtract(extract));
    console.log(`sample: public/samples/${extract.fileName}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
