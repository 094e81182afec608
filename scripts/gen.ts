import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSeries, zipExtract } from '../lib/generator';

const usage = 'usage: npm run gen -- <out-dir> [--enterprises N] [--updates K] [--base B] [--seed S]';

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      enterprises: { type: 'string', default: '1000' },
      updates: { type: 'string', default: '0' },
      base: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const out = positionals[0];
  if (values.help || !out) {
    console.log(usage);
    process.exit(values.help ? 0 : 2);
  }
  const opts = { enterprises: Number(values.enterprises), updates: Number(values.updates), base: Number(values.base), seed: Number(values.seed) };
  if (Object.values(opts).some((v) => !Number.isInteger(v) || v < 0)) {
    console.error(`every option must be a whole number\n${usage}`);
    process.exit(2);
  }
  await mkdir(out, { recursive: true });
  for (const { extract } of generateSeries(opts)) {
    const file = path.join(out, extract.fileName);
    const zip = await zipExtract(extract);
    await writeFile(file, zip);
    console.log(`${file}  ${extract.type} #${extract.number}  ${extract.rows.toLocaleString('en')} rows  ${(zip.length / 1e6).toFixed(2)} MB`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
