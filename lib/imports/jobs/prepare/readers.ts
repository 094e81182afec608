import type { Sql } from '../../../db/client';
import type { ZipSourceRef } from '../../../db/schema';
import type { CsvChunkAt } from '../../read/csv';
import { openExtract, type OpenedExtract } from '../../read/zip';
import { openSource } from '../../store/sources';

/**
 * Readers kept between steps. A step stops at a record boundary with its reader paused there;
 * when the next step of that file runs in this process (the CLI, a long-lived server), it
 * reads on instead of inflating the file again up to that position. Correctness never depends
 * on this cache: a step always starts from the position committed in import_job_files.
 */

interface LiveReader {
  at: number;
  chunks: AsyncGenerator<CsvChunkAt>;
  timer: NodeJS.Timeout;
}
const READER_IDLE_MS = 30_000;
const readers = new WeakMap<Sql, Map<string, LiveReader>>();
const extractsBySql = new WeakMap<Sql, Map<number, { extract: Promise<OpenedExtract>; timer: NodeJS.Timeout }>>();

/** Per database client: job ids are only unique within one database. */
function readersOf(sql: Sql): Map<string, LiveReader> {
  let m = readers.get(sql);
  if (!m) readers.set(sql, (m = new Map()));
  return m;
}

/** Drops this client's paused readers (tests: the next steps re-read from the committed positions). */
export function forgetLiveReaders(sql: Sql): void {
  const m = readersOf(sql);
  for (const live of m.values()) {
    clearTimeout(live.timer);
    void live.chunks.return(undefined);
  }
  m.clear();
}

/** The reader paused at `at` for this file, if this process holds one (taken out of the cache). */
export function takeReader(sql: Sql, key: string, at: number): AsyncGenerator<CsvChunkAt> | undefined {
  const readers = readersOf(sql);
  const live = readers.get(key);
  if (!live) return undefined;
  readers.delete(key);
  clearTimeout(live.timer);
  if (live.at === at) return live.chunks;
  void live.chunks.return(undefined);
  return undefined;
}

/** Keeps a reader paused at `at` for the file's next step, for a while. */
export function keepReader(sql: Sql, key: string, at: number, chunks: AsyncGenerator<CsvChunkAt>): void {
  const readers = readersOf(sql);
  const timer = setTimeout(() => {
    readers.delete(key);
    void chunks.return(undefined);
  }, READER_IDLE_MS);
  timer.unref();
  readers.set(key, { at, chunks, timer });
}

/** The job's opened zip (its directory read once per process, for a while). */
export function extractOf(sql: Sql, job: { id: number; source: ZipSourceRef }): Promise<OpenedExtract> {
  let extracts = extractsBySql.get(sql);
  if (!extracts) extractsBySql.set(sql, (extracts = new Map()));
  const cached = extracts.get(job.id);
  if (cached) {
    cached.timer.refresh();
    return cached.extract;
  }
  const extract = openSource(sql, job.source).then((source) => openExtract(source));
  const timer = setTimeout(() => extracts.delete(job.id), READER_IDLE_MS);
  timer.unref();
  extracts.set(job.id, { extract, timer });
  extract.catch(() => extracts.delete(job.id));
  return extract;
}
