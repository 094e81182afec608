import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeDb, getDb } from '../lib/db/client';
import { ConfigError } from '../lib/env';
import { driveImport, getJobStatus, JOB, type Patience, patiently } from '../lib/imports';
import { isDatabaseUnavailable } from '../lib/db/unavailable';
import { isImportFailure } from '../lib/errors';
import { importChanges } from '../lib/register';
import { bar, errorCode, previewSummary, summary } from './import/format';
import { show } from './import/show';
import { createOrResume, fetchImport, options } from './import/start';
import { usage } from './import/usage';
import { isVerb, patientVerb, SUCCESS } from './import/verbs';

/** `npm run import`: imports a KBO zip (a file, or a URL the server fetches), drives an existing import, runs a verb on one, or lists them; see ./import/usage.ts. */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      concurrency: { type: 'string', default: '4' },
      force: { type: 'boolean', default: false },
      'on-error': { type: 'string' },
      'max-rejected': { type: 'string' },
      'max-rejected-percent': { type: 'string' },
      'defer-indexes': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      job: { type: 'string' },
      'wait-db': { type: 'string', default: '120' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals[0] === 'list' || positionals[0] === 'status') return show(positionals[0], positionals[1], Boolean(values.json));
  const concurrency = Number(values.concurrency);
  const verb = isVerb(positionals[0]) ? positionals[0] : undefined;
  const verbJob = verb ? Number(positionals[1]) : undefined;
  if (verb && !(Number.isInteger(verbJob) && (verbJob as number) > 0)) {
    console.error(usage);
    return 2;
  }
  const waitDb = Number(values['wait-db']);
  const deferOk = values['defer-indexes'] === undefined || ['on', 'off'].includes(values['defer-indexes']);
  if (values.help || !deferOk || (!positionals[0] && !values.job) || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32 || !(waitDb >= 0)) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const tty = process.stderr.isTTY && !values.json;
  const log = (msg: string) => !values.json && console.error(msg);
  // A database that restarts is waited for, then the work carries on where its commits left it.
  let waitingSince = 0;
  const patience: Patience = {
    maxWaitMs: waitDb * 1000,
    onWait: (ms, attempt, err) => {
      if (attempt === 1) waitingSince = Date.now();
      const away = Math.round((Date.now() - waitingSince) / 1000);
      log(`${tty ? '\n' : ''}the database is not reachable (${errorCode(err)}); trying again in ${(ms / 1000).toFixed(1)} s (away ${away} s of at most ${waitDb} s)`);
    },
  };
  const db = await patiently(patience, () => getDb());

  let jobId: number;
  let prepareSeconds = 0;
  let resumedTo: string | undefined;
  if (verb) {
    jobId = verbJob as number;
    log(`import #${jobId}: ${verb}…`);
    await patientVerb(db, verb, jobId, patience);
    resumedTo = (await patiently(patience, () => getJobStatus(db, jobId))).job.status;
    log(`import #${jobId}: ${verb} -> ${resumedTo}`);
  } else if (values.job) {
    jobId = Number(values.job);
  } else if (/^https?:\/\//i.test(positionals[0] as string)) {
    jobId = await fetchImport(db, positionals[0] as string, options(values), log, patience);
  } else {
    const file = path.resolve(positionals[0] as string);
    log(`preparing ${path.basename(file)} (${((await stat(file)).size / 1e6).toFixed(2)} MB)…`);
    jobId = await patiently(patience, () => createOrResume(db, file, options(values), log));
  }

  const started = Date.now();
  let prepared: number | undefined;
  const final = await driveImport(db, {
    jobId,
    concurrency,
    patience,
    onProgress: (s) => {
      if (prepared === undefined && s.job.status !== JOB.preparing) prepared = Date.now();
      if (tty) process.stderr.write(`\r${bar(s)}\x1b[K`);
    },
  });
  prepareSeconds = ((prepared ?? started) - started) / 1000;
  if (tty) process.stderr.write('\n');
  const elapsed = (Date.now() - started) / 1000 - prepareSeconds;
  const status = final.job.status === JOB.completed ? final : await patiently(patience, () => getJobStatus(db, jobId));
  // Resuming a paused cancel or rollback finishes that undo.
  const undoEnds: Record<string, string> = { [JOB.cancelling]: JOB.cancelled, [JOB.rolling_back]: JOB.rolled_back };
  // A preview driven on (--job, resume, retry) ends worked out, as --dry-run does.
  const previewing = status.job.preview && status.job.status !== JOB.discarded && verb !== 'discard';
  const wanted = (verb === 'resume' && resumedTo ? undoEnds[resumedTo] : undefined) ?? (previewing ? SUCCESS.preview : SUCCESS[verb ?? 'import']);

  if (values.json) console.log(JSON.stringify({ ...status, prepareSeconds, elapsedSeconds: elapsed }, null, 2));
  else {
    const total = prepareSeconds + elapsed;
    console.log(summary(status));
    if (status.job.status === JOB.previewed) console.log(previewSummary(status, (await importChanges(db, jobId)).summary));
    console.log(
      `time: prepare ${prepareSeconds.toFixed(2)} s + batches and finalize ${elapsed.toFixed(2)} s = ${total.toFixed(2)} s` +
        (prepareSeconds && !verb ? `, end to end ${Math.round(status.rows.total / total).toLocaleString('en')} rows/s` : ''),
    );
  }

  if (status.job.status !== wanted) {
    if (status.job.error) {
      console.error(`error (${status.job.error.code}): ${status.job.error.message}`);
      return 1;
    }
    if (status.job.status === JOB.paused) {
      log(`import #${jobId} is paused; resume it with: npm run import -- resume ${jobId}`);
      return 1;
    }
    for (const f of status.failures) log(`failed: ${f.table} ${f.operation} batch ${f.batchNumber} (id ${f.id}): ${f.error}`);
    log(`import #${jobId} is ${status.job.status}, not ${wanted}; retry its failed batches with: npm run import -- retry ${jobId}`);
    return 1;
  }
  return 0;
}

// A connection the server dropped can surface in a promise of the driver's that nobody awaits
// (postgres.js, mid-COPY). The call that used it fails on its own and is retried; the stray
// copy of the error must not kill a CLI that is waiting the database out. Anything else still does.
process.on('unhandledRejection', (err) => {
  if (!isDatabaseUnavailable(err)) throw err;
  console.error(`note: a dropped database connection surfaced outside a call (${errorCode(err)}); carrying on`);
});

// Should the work ever wait on something that can no longer happen, the process would run
// out of things to do and exit 0 with the import unfinished: make that a failure instead.
let settled = false;
process.on('beforeExit', () => {
  if (settled) return;
  console.error('error (INTERNAL): the command stopped before it finished (a call never answered). Nothing was lost; run the same command again to carry on.');
  process.exit(1);
});

main()
  .finally(() => (settled = true))
  .then(async (code) => {
    await closeDb();
    process.exit(code);
  })
  .catch(async (err) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
    } else if (isDatabaseUnavailable(err)) {
      console.error(`error (DATABASE_UNAVAILABLE): the database could not be reached (${errorCode(err)}). Nothing was lost; run the same command again once it is up, and it carries on.`);
    } else if (isImportFailure(err)) {
      console.error(`error (${err.code}): ${err.message}`);
      const details = err.details as { errors?: { message: string }[] } | undefined;
      for (const e of details?.errors ?? []) console.error(`  - ${e.message}`);
    } else {
      console.error(err);
    }
    await closeDb().catch(() => {});
    process.exit(1);
  });
