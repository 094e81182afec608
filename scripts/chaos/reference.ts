/** The chaos test's files (a FULL, its UPDATEs, a resync FULL) and their uninterrupted import into the reference database. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addDays, generateSeries, RegisterModel, zipExtract } from '../../lib/generator';
import { driveImport, JOB, prepareImport } from '../../lib/imports';
import { tableChecksums, type TableChecksum } from '../../lib/db/checksums';
import type { Sql } from '../../lib/db/client';

/** Writes the series into `dir`: a FULL of `enterprises`, `updates` UPDATEs, then a resync FULL; returns their paths in order. */
export async function writeExtracts(dir: string, { enterprises, updates, seed }: { enterprises: number; updates: number; seed: number }): Promise<string[]> {
  const files: string[] = [];
  let last: RegisterModel | undefined;
  for (const { model, extract } of generateSeries({ enterprises, updates, base: 146, seed })) {
    const file = path.join(dir, extract.fileName);
    await writeFile(file, await zipExtract(extract));
    files.push(file);
    last = model;
  }
  // Then an extract is missed and rows drift upstream: the next FULL resyncs (its batches are
  // key ranges, under the same fire, and it is among the imports rolled back).
  const model = last as RegisterModel;
  model.drift(0.02);
  const resync = model.snapshot(146 + updates + 2, addDays('2025-01-01', updates + 2));
  files.push(path.join(dir, resync.fileName));
  await writeFile(files.at(-1) as string, await zipExtract(resync));
  return files;
}

/**
 * The reference: the same files, one after the other, nobody killed, default batch size. Returns
 * its state before the last `rollbacks` files, which is what rolling those back must return to.
 */
export async function importReference(refSql: Sql, files: string[], rollbacks: number): Promise<Record<string, TableChecksum> | undefined> {
  const started = Date.now();
  let beforeLast: Record<string, TableChecksum> | undefined;
  for (const [i, file] of files.entries()) {
    if (i === files.length - rollbacks) beforeLast = await tableChecksums(refSql, { ids: false });
    const prepared = await prepareImport(refSql, { fileName: path.basename(file), data: await readFile(file) });
    const done = await driveImport(refSql, { jobId: prepared.job.id, concurrency: 2 });
    if (done.job.status !== JOB.completed) throw new Error(`reference import of ${file} ended ${done.job.status}`);
  }
  console.log(`reference: imported uninterrupted in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return beforeLast;
}
