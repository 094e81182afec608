/** The bench's report: the approaches side by side on the terminal, then every figure as JSON under bench-results/. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Loaded } from './baselines';
import { SCALES, type Scale } from './files';
import type { PipelineResult } from './pipeline';

export interface BenchResults {
  scale: Scale;
  /** The base file loaded before the target, if the scale has one. */
  base: string | null;
  copy: Loaded;
  app: Loaded;
  runs: PipelineResult[];
  /** null when pgloader was skipped or is not installed. */
  pgl: Loaded | null;
  noPgloader: boolean;
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The `p`th percentile of `values` (nearest rank; 0 when there are none). */
export function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

/** Prints the comparison table, then each pipeline run's calls (and its resync's counts). */
export function printReport({ scale, base, copy, app, runs, pgl, noPgloader }: BenchResults): void {
  const rate = (rows: number, s: number) => rows / Math.max(s, 1e-9);
  const copyRate = rate(copy.rows, copy.seconds);
  const one = runs.find((r) => r.concurrency === 1);
  const label = (r: PipelineResult) => `pipeline, N=${r.concurrency}${r.staging ? ` ${r.staging.replace(' staging', '')}` : ''}`;
  const onto = 'drift' in SCALES[scale] ? ' (a FULL resynced onto a database holding the previous FULL)' : base ? ' (applied on a loaded base)' : '';
  console.log(`\nscale ${scale}: ${fmt(copy.rows)} rows in the target extract${onto}\n`);
  const appRate = rate(app.rows, app.seconds);
  console.log('approach                 seconds      rows/s   vs COPY  vs app COPY   speed-up   prepare   batches  finalize   indexes finishing   p50 call   p95 call   max call   peak RSS');
  console.log(`COPY (baseline)       ${fmt(copy.seconds, 2).padStart(10)}  ${fmt(copyRate).padStart(10)}      1.00`);
  console.log(`COPY (app's tables)   ${fmt(app.seconds, 2).padStart(10)}  ${fmt(appRate).padStart(10)}  ${fmt(appRate / copyRate, 2).padStart(8)}         1.00`);
  for (const r of runs) {
    const all = [...r.calls.upload, ...r.calls.prepare, ...r.calls.processBatch, ...r.calls.finalize, ...r.calls.finishing];
    const line = [
      label(r).padEnd(20),
      fmt(r.seconds.total, 2).padStart(10),
      fmt(rate(r.rows, r.seconds.total)).padStart(10),
      fmt(rate(r.rows, r.seconds.total) / copyRate, 2).padStart(8),
      fmt(rate(r.rows, r.seconds.total) / appRate, 2).padStart(12),
      (one ? fmt(one.seconds.total / r.seconds.total, 2) + '×' : '').padStart(9),
      fmt(r.seconds.prepare, 2).padStart(9),
      fmt(r.seconds.batches, 2).padStart(9),
      fmt(r.seconds.finalize, 2).padStart(9),
      fmt(r.seconds.indexes ?? 0, 2).padStart(9),
      fmt(r.seconds.finishing, 2).padStart(9),
      `${fmt(pct(all, 50))} ms`.padStart(10),
      `${fmt(pct(all, 95))} ms`.padStart(10),
      `${fmt(Math.max(...all))} ms`.padStart(10),
      `${fmt(r.maxRssMb)} MB`.padStart(10),
    ];
    console.log(line.join(' '));
  }
  if (pgl) {
    console.log(`pgloader              ${fmt(pgl.seconds, 2).padStart(10)}  ${fmt(rate(pgl.rows, pgl.seconds)).padStart(10)}  ${fmt(rate(pgl.rows, pgl.seconds) / copyRate, 2).padStart(8)}  ${fmt(rate(pgl.rows, pgl.seconds) / appRate, 2).padStart(11)}`);
  } else {
    console.log(noPgloader ? 'pgloader: skipped (--no-pgloader)' : 'pgloader: not installed (apt-get install pgloader), skipped');
  }
  console.log('\n(calls: the upload request, every step call, prepare steps and batches alike, and finalize)');
  for (const r of runs) {
    const d = (xs: number[]) => `${xs.length} calls, p50 ${fmt(pct(xs, 50))} ms, p95 ${fmt(pct(xs, 95))} ms, max ${fmt(Math.max(0, ...xs))} ms`;
    console.log(`${label(r)}: upload ${fmt(r.calls.upload[0] ?? 0)} ms; prepare steps: ${d(r.calls.prepare)}; batches: ${d(r.calls.processBatch)}; finalize ${fmt(r.calls.finalize[0] ?? 0)} ms; after it: ${d(r.calls.finishing)}`);
    if (r.drift) console.log(`${label(r)}: resync ended ${fmt(r.drift.ended)}, inserted ${fmt(r.drift.inserted)}, left ${fmt(r.drift.unchanged)} rows unchanged`);
  }
}

/** Writes the results (each run's calls as count and percentiles) to bench-results/<scale>-<time>.json, and says where. */
export async function writeReport({ scale, copy, app, runs, pgl }: BenchResults): Promise<void> {
  await mkdir('bench-results', { recursive: true });
  const out = path.join('bench-results', `${scale}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(out, JSON.stringify({ scale, copy, copyIntoAppTables: app, pipeline: runs.map((r) => ({ ...r, calls: Object.fromEntries(Object.entries(r.calls).map(([k, xs]) => [k, { count: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), max: Math.max(0, ...xs) }])) })), pgloader: pgl }, null, 2));
  console.log(`written to ${out}`);
}
