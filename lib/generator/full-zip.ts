import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { byKey, headerLine, lineKey, type RegisterModel } from './generator';
import { KBO_TABLES } from '../kbo/spec';

/** Enterprises made between two flushes of the run files. */
const SLICE = 5_000;
const FLUSH_CHARS = 1 << 20;

/**
 * Writes a FULL of `enterprises` new enterprises to `out` without holding it: the model's lines
 * go to one temporary file per data file and run of keys (`keyRun`), and each zip entry is the
 * merge of its file's runs, deflated as it streams. Memory stays flat at any size (the real
 * register, about 46.8 M rows, included); the model keeps no state of what it wrote. A model of
 * the same seed gives the same files (the same CSV text) as `model.full(…)`.
 */
export async function writeFullZip(model: RegisterModel, opts: { number: number; enterprises: number; snapshotDate: string; out: string }): Promise<{ fileName: string; rows: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kbo-full-'));
  try {
    const runs = new Map<string, RunFile[]>();
    for (const t of KBO_TABLES) runs.set(`${t.file}.csv`, [0, 1, 2].map((r) => new RunFile(path.join(dir, `${t.file}.${r}`))));
    let rows = 0;
    for (let made = 0; made < opts.enterprises; made += SLICE) {
      rows += model.fullLines(Math.min(SLICE, opts.enterprises - made), false, (file, run, line) => runs.get(file)?.[run]?.add(line));
      for (const files of runs.values()) for (const f of files) await f.flush(false);
    }
    for (const files of runs.values()) for (const f of files) await f.close();

    const frame = model.fullFrame(opts.number, opts.snapshotDate);
    const zip = new yazl.ZipFile();
    for (const [name, text] of Object.entries(frame.files)) zip.addBuffer(Buffer.from(text), name, { compressionLevel: 6 });
    for (const t of KBO_TABLES) {
      const name = `${t.file}.csv`;
      zip.addReadStream(Readable.from(mergedLines(headerLine(t.columns), (runs.get(name) as RunFile[]).map((f) => f.path))), name, { compressionLevel: 6 });
    }
    zip.end();
    // Written beside, then renamed: a run cut short leaves no zip that looks whole.
    await pipeline(zip.outputStream, createWriteStream(`${opts.out}.part`));
    await rename(`${opts.out}.part`, opts.out);
    return { fileName: frame.fileName, rows: frame.rows + rows };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One run's temporary file, written in large pieces, waiting when the disk is behind. */
class RunFile {
  private readonly stream: WriteStream;
  private parts: string[] = [];
  private chars = 0;
  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
  }
  add(line: string): void {
    this.parts.push(line);
    this.chars += line.length;
  }
  async flush(always: boolean): Promise<void> {
    if (!always && this.chars < FLUSH_CHARS) return;
    const text = this.parts.join('');
    this.parts = [];
    this.chars = 0;
    if (text && !this.stream.write(text)) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush(true);
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

/** The header, then the lines of the sorted runs merged by key (a run before a later one on a tie). */
async function* mergedLines(header: string, files: string[]): AsyncGenerator<string> {
  const readers = files.map((f) => createInterface({ input: createReadStream(f), crlfDelay: Infinity })[Symbol.asyncIterator]());
  const heads: (string | undefined)[] = await Promise.all(readers.map(async (r) => (await r.next()).value as string | undefined));
  let out = header;
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== undefined && (best === -1 || byKey(lineKey(h), lineKey(heads[best] as string)) < 0)) best = i;
    }
    if (best === -1) break;
    out += `${heads[best]}\n`;
    if (out.length >= FLUSH_CHARS) {
      yield out;
      out = '';
    }
    heads[best] = (await (readers[best] as AsyncIterator<string>).next()).value as string | undefined;
  }
  if (out) yield out;
}
