/** (3) pgloader, when installed, on the same CSV files into the same shape as the COPY baseline. */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createSql } from '../../lib/db/client';
import { ident } from '../../lib/db/sql';
import { createFinalShape, targetPlans, type Loaded } from './baselines';
import { freshDatabase } from './databases';
import { DATA_DIR } from './files';

/** The rows pgloader loaded and the seconds it took; null when pgloader is not installed. */
export async function pgloaderRun(server: string, target: string): Promise<Loaded | null> {
  try {
    execFileSync('pgloader', ['--version'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const url = await freshDatabase(server, 'kbo_bench_pgloader', false);
  const dir = path.join(DATA_DIR, 'pgloader-csv');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const plans = await targetPlans(target);
  const sql = createSql(url, 1);
  const loads: string[] = [];
  const tableOf = (name: string) => `pgl_${name.replace('.csv', '')}`;
  for (const plan of plans) {
    const table = tableOf(plan.name);
    const columns = plan.columns.map((c) => c.column);
    await createFinalShape(sql, table, columns);
    const file = path.join(dir, plan.name);
    await pipeline(plan.open(), createWriteStream(file));
    loads.push(
      `LOAD CSV FROM '${file}' (${columns.map((c) => `"${c}"`).join(', ')})\n` +
        `  INTO ${url}?${table} (${columns.map((c) => `"${c}"`).join(', ')})\n` +
        `  WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote, fields terminated by ',';`,
    );
  }
  await sql.end();
  const started = Date.now();
  for (const [i, load] of loads.entries()) {
    const cmd = path.join(dir, `load-${i}.load`);
    await writeFile(cmd, load);
    execFileSync('pgloader', ['--quiet', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const seconds = (Date.now() - started) / 1000;
  const check = createSql(url, 1);
  let rows = 0;
  for (const plan of plans) {
    const [r] = await check<{ n: number }[]>`select count(*)::int as n from ${ident(check, tableOf(plan.name))}`;
    rows += r?.n ?? 0;
  }
  await check.end();
  return { rows, seconds };
}
