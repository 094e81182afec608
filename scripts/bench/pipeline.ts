/** (2) Our whole pipeline, timed through the verbs the routes use, in a child process of its own (the `--worker` mode of scripts/bench.ts). */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createImport, driveImport, finalizeImport, getJobStatus, JOB, startImport, storeUpload } from '../../lib/imports';
import { createSql, type Sql } from '../../lib/db/client';

export interface PipelineResult {
  concurrency: number;
  /** What this run varied, when --staging or --page-indexes compared variants: `unlogged`, `without page indexes`… */
  staging?: string;
  rows: number;
  /** `finishing`: the step calls after finalize (the deferred indexes, statistics, the change list), until none is left. */
  seconds: { prepare: number; batches: number; finalize: number; finishing: number; indexes: number; total: number };
  calls: { upload: number[]; prepare: number[]; processBatch: number[]; finalize: number[]; finishing: number[] };
  maxRssMb: number;
  drift: { ended: number; inserted: number; unchanged: number } | null;
}

/** Runs the worker in a fresh process (so its peak RSS is the working process's) and reads back its result, the last line it prints. */
export function runPipeline(url: string, base: string | null, target: string, concurrency: number, env: Record<string, string> = {}): Promise<PipelineResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', '--worker', url, '--base', base ?? '', '--target', target, '--concurrency', String(concurrency)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env, DATABASE_URL: url },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`pipeline worker exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop() as string) as PipelineResult);
    });
  });
}

/**
 * The worker: load the base untimed, then import the target as the app does: the upload
 * (stored in the database, the job created and its first prepare steps run, as POST
 * /api/imports does), step calls until done (prepare steps, then batches), finalize.
 */
export async function worker(url: string, base: string, target: string, concurrency: number): Promise<PipelineResult> {
  const db = createSql(url, Math.max(4, concurrency + 2));
  if (base) {
    const { jobId } = await createImport(db, { fileName: path.basename(base), path: base });
    await drive(db, jobId, 4, { prepare: [], batches: [] });
    await finalizeImport(db, { jobId });
    await finish(db, jobId, 4, []);
  }
  const t0 = performance.now();
  const callStarted = Date.now();
  const { uploadId } = await storeUpload(db, path.basename(target), createReadStream(target));
  const { jobId } = await startImport(db, { fileName: path.basename(target), uploadId }, undefined, callStarted);
  const t1 = performance.now();
  const calls = { prepare: [] as number[], batches: [] as number[] };
  const preparedAt = await drive(db, jobId, concurrency, calls);
  const t2 = performance.now();
  await finalizeImport(db, { jobId });
  const t3 = performance.now();
  const finishing: number[] = [];
  const indexed = await finish(db, jobId, concurrency, finishing);
  const t4 = performance.now();
  const done = await getJobStatus(db, jobId);
  if (done.job.status !== JOB.completed) throw new Error(`the import ended ${done.job.status}`);
  await db.end();
  const s = (ms: number) => ms / 1000;
  const prepared = preparedAt ?? t1;
  return {
    concurrency,
    rows: done.rows.total,
    seconds: { prepare: s(prepared - t0), batches: s(t2 - prepared), finalize: s(t3 - t2), finishing: s(t4 - t3), indexes: s(Math.max(0, indexed - t3)), total: s(t4 - t0) },
    calls: { upload: [t1 - t0], prepare: calls.prepare, processBatch: calls.batches, finalize: [t3 - t2], finishing },
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    drift: done.drift ? { ended: done.drift.ended, inserted: done.drift.inserted, unchanged: done.drift.unchanged } : null,
  };
}

/**
 * What is left once the job is completed (its deferred indexes, statistics, change list): step
 * calls until the driving rules say stop, each timed. Returns when the last index was built.
 */
async function finish(db: Sql, jobId: number, concurrency: number, calls: number[]): Promise<number> {
  let indexed = performance.now();
  let building = true;
  await driveImport(db, {
    jobId,
    concurrency,
    idleMs: 20,
    finalize: false,
    onStep: (step, ms) => {
      calls.push(ms);
      if (building && step.progress.indexes === null) [building, indexed] = [false, performance.now()];
    },
  });
  return indexed;
}

/**
 * The shared headless driver (lib/imports/drive/loop.ts) without its finalize, timing every
 * step call (as a prepare step or a batch call); returns when the job left `preparing`.
 */
async function drive(db: Sql, jobId: number, concurrency: number, calls: { prepare: number[]; batches: number[] }) {
  let preparedAt: number | undefined;
  const end = await driveImport(db, {
    jobId,
    concurrency,
    idleMs: 20,
    finalize: false,
    onStep: (step, ms) => {
      (step.prepared.length ? calls.prepare : calls.batches).push(ms);
      if (preparedAt === undefined && step.progress.job.status !== JOB.preparing) preparedAt = performance.now();
    },
  });
  if (end.batches.failed > 0) throw new Error('a batch failed');
  if (end.job.error) throw new Error(end.job.error.message);
  return preparedAt;
}
