import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { closeDb, getDb, type Sql } from '../lib/db/client';
import { ConfigError } from '../lib/env';
import { cancelImport, createFetch, createImport, driveImport, fetchSteps, getJobStatus, JOB, type JobStatusView, type JobSummary, listJobs, type Patience, patiently, pauseImport, type PrepareInput, resumeImport, retryBatches, rollbackImport } from '../lib/imports';
import { isDatabaseUnavailable } from '../lib/db/unavailable';
import { isImportFailure } from '../lib/errors';

const usage = `usage: npm run import -- <zip or http(s) URL> [--concurrency N] [--force] [--json]
         [--on-error continue|fail-fast] [--max-rejected N] [--max-rejected-percent P] [--wait-db SECONDS]
         (--wait-db: how long to wait out a database that went away, then carry on; default 120)
       npm run import -- --job <id> [--concurrency N] [--json]   (drive an existing import)
       npm run import -- list [--json]          the imports, newest first
       npm run import -- status <id> [--json]   one import's status, as the progress page shows it
       npm run import -- pause|resume|cancel|rollback|retry <id> [--concurrency N] [--json]
         pause: stop claiming batches; resume: claim again and drive to the end;
         cancel: undo what a running or paused import applied; rollback: undo the latest completed import;
         retry: put failed batches back and drive to the end`;

const VERBS = {
  pause: pauseImport,
  resume: resumeImport,
  cancel: cancelImport,
  rollback: rollbackImport,
  retry: retryBatches,
} as const;
type Verb = keyof typeof VERBS;
const isVerb = (v: string | undefined): v is Verb => v !== undefined && v in VERBS;

/** Where a verb that took effect leaves the job, at once or once driven. */
const TOOK_EFFECT: Record<Verb, string[]> = {
  pause: [JOB.paused],
  resume: [JOB.preparing, JOB.running, JOB.cancelling, JOB.rolling_back, JOB.completed, JOB.cancelled, JOB.rolled_back],
  cancel: [JOB.cancelling, JOB.cancelled],
  rollback: [JOB.rolling_back, JOB.rolled_back],
  retry: [JOB.running, JOB.completed],
};

/**
 * A verb, waiting out a database that went away. When the connection dropped after the verb
 * committed, its retry is refused (the job moved already): the job's status then says it took
 * effect, and that is success.
 */
async function patientVerb(db: Sql, verb: Verb, jobId: number, patience: Patience): Promise<void> {
  let interrupted = false;
  const watching: Patience = { ...patience, onWait: (...a) => ((interrupted = true), patience.onWait?.(...a)) };
  try {
    await patiently(watching, async () => void (await VERBS[verb](db, { jobId })));
  } catch (err) {
    if (!interrupted || !isImportFailure(err)) throw err;
    const now = (await patiently(patience, () => getJobStatus(db, jobId))).job.status;
    if (!TOOK_EFFECT[verb].includes(now)) throw err;
  }
}

/** The status a command leaves the job in when it did what was asked. */
const SUCCESS: Record<Verb | 'import', string> = {
  import: JOB.completed,
  resume: JOB.completed,
  retry: JOB.completed,
  pause: JOB.paused,
  cancel: JOB.cancelled,
  rollback: JOB.rolled_back,
};

function bar(s: JobStatusView): string {
  const width = 30;
  // Rows, the figure the rate and the ETA are counted in; batches beside it.
  const done = s.rows.total ? s.rows.done / s.rows.total : 0;
  const filled = Math.round(done * width);
  const rate = s.rowsPerSecond ? `${s.rowsPerSecond.toLocaleString('en')} rows/s` : '';
  const eta = s.etaSeconds !== null ? `ETA ${s.etaSeconds}s` : '';
  const failed = s.batches.failed ? `${s.batches.failed} failed` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(done * 100).toFixed(0).padStart(3)}% of rows, ${s.batches.completed}/${s.batches.total} batches ${[rate, eta, failed].filter(Boolean).join('  ')}`;
}

function summary(s: JobStatusView): string {
  const head = ['table', 'operation', 'rows', 'inserted', 'ended', 'unchanged', 'duplicate', 'no-op'];
  const lines = s.tables.flatMap((t) =>
    t.operations.map((o) => [t.table, o.operation, o.rows, o.inserted, o.ended, o.unchanged, o.duplicate, o.noop].map(String)),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const job = s.job;
  const undo = job.undo
    ? [
        `undo: removed ${Object.values(job.undo.removed).reduce((a, b) => a + b, 0).toLocaleString('en')} rows, ` +
          `restored ${Object.values(job.undo.restored).reduce((a, b) => a + b, 0).toLocaleString('en')} rows`,
      ]
    : [];
  return [
    `import #${job.id}: ${job.extractType} extract ${job.extractNumber} (${printable(job.fileName)}) ${job.status}`,
    fmt(head),
    ...lines.map(fmt),
    `total: ${s.rows.done.toLocaleString('en')} of ${s.rows.total.toLocaleString('en')} staged rows applied` +
      (s.rowsPerSecond && !s.job.undo ? ` at ${s.rowsPerSecond.toLocaleString('en')} rows/s while applying` : ''),
    ...undo,
    ...(s.drift ? [`resync: ${s.drift.summary}`] : []),
    ...(s.baseWarning ? [`warning: ${s.baseWarning}`] : []),
    ...(s.rejected > 0 ? [`rejected: ${s.rejected.toLocaleString('en')} bad rows were left out (GET /api/imports/${job.id}/report?format=csv lists them)`] : []),
  ].join('\n');
}

/**
 * Create the import of this zip, or, when this very file's import is already under way (a
 * run that crashed, or another driver), carry that job on: prepare steps and batches alike
 * resume from what was committed.
 */
async function createOrResume(
  db: Sql,
  file: string,
  options: Omit<PrepareInput, 'fileName' | 'data' | 'path' | 'uploadId'>,
  log: (msg: string) => void,
): Promise<number> {
  try {
    const created = await createImport(db, { fileName: path.basename(file), path: file, ...options });
    return created.jobId;
  } catch (err) {
    const details = isImportFailure(err) ? (err.details as { resumable?: boolean; jobId?: number; status?: string } | undefined) : undefined;
    if (!details?.resumable || details.jobId === undefined || details.status === JOB.paused) throw err;
    log(`this file is already being imported as import #${details.jobId} (${details.status}): resuming it`);
    return details.jobId;
  }
}

function options(values: { force?: boolean; 'on-error'?: string; 'max-rejected'?: string; 'max-rejected-percent'?: string }) {
  return {
    force: values.force,
    onError: values['on-error'] as PrepareInput['onError'],
    maxRejected: values['max-rejected'] === undefined ? undefined : Number(values['max-rejected']),
    maxRejectedPercent: values['max-rejected-percent'] === undefined ? undefined : Number(values['max-rejected-percent']),
  };
}

/** The server fetches the zip a part per range request (as POST /api/uploads/:id/fetch does), then imports it. */
async function fetchImport(db: Sql, url: string, opts: ReturnType<typeof options>, log: (msg: string) => void, patience: Patience): Promise<number> {
  const upload = await patiently(patience, () => createFetch(db, { url, ...opts }));
  log(`fetching ${upload.fileName} (${(upload.size / 1e6).toFixed(2)} MB) in ${upload.parts} parts…`);
  for (;;) {
    const step = await patiently(patience, () => fetchSteps(db, upload.uploadId));
    if (step.jobId !== null) return step.jobId;
    log(`  ${step.upload.received.length}/${step.upload.parts} parts`);
  }
}

/** The code an error carries (ECONNREFUSED, 57P01, …), for a one-line message. */
function errorCode(err: unknown): string {
  const e = err as { code?: unknown; errors?: { code?: unknown }[]; message?: string };
  return String(e.code ?? e.errors?.[0]?.code ?? e.message ?? err);
}

/** Control characters in a name (a file's, say) are shown escaped, never sent to the terminal. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

function historyLine(j: JobSummary): string {
  const what = `${j.extractType ?? '?'} ${j.extractNumber ?? '?'}`;
  const counts = `inserted ${j.inserted.toLocaleString('en')}, ended ${j.ended.toLocaleString('en')}` + (j.rejected ? `, rejected ${j.rejected.toLocaleString('en')}` : '');
  return [`#${j.id}`.padEnd(6), j.status.padEnd(12), what.padEnd(12), `${j.batchesCompleted}/${j.batchesTotal} batches`.padEnd(16), counts.padEnd(40), printable(j.fileName)].join(' ');
}

/** `list` and `status <id>`: read only, so nobody needs psql to find an import's id or state. */
async function show(what: 'list' | 'status', id: string | undefined, json: boolean): Promise<number> {
  const db = await getDb();
  if (what === 'list') {
    const jobs = await listJobs(db, 50);
    if (json) console.log(JSON.stringify(jobs, null, 2));
    else if (jobs.length === 0) console.log('no imports yet');
    else for (const j of jobs) console.log(historyLine(j));
    return 0;
  }
  const jobId = Number(id);
  if (!Number.isInteger(jobId) || jobId < 1) {
    console.error(usage);
    return 2;
  }
  const status = await getJobStatus(db, jobId);
  console.log(json ? JSON.stringify(status, null, 2) : summary(status));
  return 0;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      concurrency: { type: 'string', default: '4' },
      force: { type: 'boolean', default: false },
      'on-error': { type: 'string' },
      'max-rejected': { type: 'string' },
      'max-rejected-percent': { type: 'string' },
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
  if (values.help || (!positionals[0] && !values.job) || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32 || !(waitDb >= 0)) {
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
    resumedTo = (await getJobStatus(db, jobId)).job.status;
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
  const wanted = (verb === 'resume' && resumedTo ? undoEnds[resumedTo] : undefined) ?? SUCCESS[verb ?? 'import'];

  if (values.json) console.log(JSON.stringify({ ...status, prepareSeconds, elapsedSeconds: elapsed }, null, 2));
  else {
    const total = prepareSeconds + elapsed;
    console.log(summary(status));
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
