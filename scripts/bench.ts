import { parseArgs } from 'node:util';
import { resolveDatabaseUrl, exitAfterStop } from '../lib/db/client';
import { appTablesBaseline, copyBaseline } from './bench/baselines';
import { freshDatabase, setPageIndexes, setStaging } from './bench/databases';
import { benchFiles, SCALES, type Scale } from './bench/files';
import { pgloaderRun } from './bench/pgloader';
import { runPipeline, worker, type PipelineResult } from './bench/pipeline';
import { fmt, printReport, writeReport } from './bench/report';

/**
 * `npm run bench -- --scale daily|busy|full10|full|resync|resync10 --concurrency 1,2,4`: on the same
 * PostgreSQL and the same generated files, times (1) COPY of the file's CSV rows straight into
 * tables of the final shape, (1b) the same COPY into the app's own tables with all their
 * indexes (what our schema lets any loader reach), (2) our whole pipeline through the verbs the routes use, once per
 * concurrency, each in a fresh process (its peak RSS is the working process's), and (3)
 * pgloader on the same CSVs when it is installed. Prints a table and writes JSON.
 */

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: 'daily' },
      concurrency: { type: 'string', default: '1,2,4' },
      worker: { type: 'string' },
      base: { type: 'string' },
      target: { type: 'string' },
      'no-pgloader': { type: 'boolean', default: false },
      staging: { type: 'string' },
      'page-indexes': { type: 'string' },
      'defer-indexes': { type: 'string' },
      'files-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.worker) {
    const r = await worker(values.worker, values.base ?? '', values.target as string, Number(values.concurrency));
    console.log(JSON.stringify(r));
    return 0;
  }
  const scale = values.scale as Scale;
  if (values.help || !(scale in SCALES)) {
    console.log(`usage: npm run bench -- [--scale ${Object.keys(SCALES).join('|')}] [--concurrency 1,2,4] [--no-pgloader] [--files-only]`);
    return values.help ? 0 : 2;
  }
  const levels = (values.concurrency as string).split(',').map(Number);
  const server = await resolveDatabaseUrl();
  const { base, target } = await benchFiles(scale);
  if (values['files-only']) return 0;

  const copy = await copyBaseline(server, target);
  console.log(`COPY baseline: ${fmt(copy.rows)} rows in ${fmt(copy.seconds, 2)} s`);
  const app = await appTablesBaseline(server, target);
  console.log(`COPY into the app's tables: ${fmt(app.rows)} rows in ${fmt(app.seconds, 2)} s`);
  const runs: PipelineResult[] = [];
  // --staging unlogged,logged or --page-indexes with,without: each level once per variant, side by side.
  // --defer-indexes on,off: a FULL into the empty register loads first and indexes after, or keeps its indexes up.
  const deferring = (mode: string) => ({ label: `indexes ${mode === 'on' ? 'deferred' : 'kept up'}`, env: { IMPORT_DEFER_INDEXES_MB: mode === 'on' ? '0' : '1000000' } });
  const variants: { label?: string; prepare?: (url: string) => Promise<void>; env?: Record<string, string> }[] = values['defer-indexes']
    ? values['defer-indexes'].split(',').map(deferring)
    : values.staging
    ? values.staging.split(',').map((kind) => ({ label: `${kind} staging`, prepare: (url: string) => setStaging(url, kind) }))
    : values['page-indexes']
      ? values['page-indexes'].split(',').map((mode) => ({ label: `${mode} page indexes`, prepare: (url: string) => setPageIndexes(url, mode) }))
      : [{}];
  for (const n of levels) {
    for (const variant of variants) {
      const url = await freshDatabase(server, 'kbo_bench_pipeline', true);
      await variant.prepare?.(url);
      const r = { ...(await runPipeline(url, base, target, n, variant.env)), ...(variant.label ? { staging: variant.label } : {}) };
      runs.push(r);
      console.log(`pipeline, ${n} driver${n === 1 ? '' : 's'}${variant.label ? `, ${variant.label}` : ''}: ${fmt(r.rows)} rows in ${fmt(r.seconds.total, 2)} s`);
    }
  }
  const pgl = values['no-pgloader'] ? null : await pgloaderRun(server, target);

  const results = { scale, base, copy, app, runs, pgl, noPgloader: Boolean(values['no-pgloader']) };
  printReport(results);
  await writeReport(results);
  return 0;
}

main().then(
  (code) => exitAfterStop(code),
  (err) => {
    console.error(err);
    return exitAfterStop(1);
  },
);
