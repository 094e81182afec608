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
export async function writeFullZip(
  model: RegisterModel,
  opts: { number: number; enterprises: number; snapshotDate: string; out: string; nace?: boolean },
): Promise<{ fileName: string; rows: number }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kbo-full-'));
  try {
    const entries = opts.nace ? NACE_ENTRIES : KBO_TABLES.map((t) => ({ name: `${t.file}.csv`, header: headerLine(t.columns), unique: false }));
    const runs = new Map<string, RunFile[]>();
    for (const e of entries) runs.set(e.name, [0, 1, 2].map((r) => new RunFile(path.join(dir, `${e.name}.${r}`))));
    const put = opts.nace ? renace(runs) : (file: string, run: number, line: string) => runs.get(file)?.[run]?.add(line);
    let rows = 0;
    for (let made = 0; made < opts.enterprises; made += SLICE) {
      rows += model.fullLines(Math.min(SLICE, opts.enterprises - made), false, put);
      for (const files of runs.values()) for (const f of files) await f.flush(false);
    }
    for (const files of runs.values()) for (const f of files) await f.close();

    const frame = opts.nace ? model.updateFrame(opts.number, opts.snapshotDate) : model.fullFrame(opts.number, opts.snapshotDate);
    const zip = new yazl.ZipFile();
    for (const [name, text] of Object.entries(frame.files)) zip.addBuffer(Buffer.from(text), name, { compressionLevel: 6 });
    for (const e of entries) {
      const lines = mergedLines(e.header, (runs.get(e.name) as RunFile[]).map((f) => f.path), e.unique);
      zip.addReadStream(Readable.from(lines), e.name, { compressionLevel: 6 });
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

const ACTIVITIES = KBO_TABLES.find((t) => t.table === 'activities') as (typeof KBO_TABLES)[number];
/** The entries of a NACE UPDATE: every activity ended, by its entity, and issued again. */
const NACE_ENTRIES = [
  { name: `${ACTIVITIES.file}_delete.csv`, header: headerLine(ACTIVITIES.columns.slice(0, 1)), unique: true },
  { name: `${ACTIVITIES.file}_insert.csv`, header: headerLine(ACTIVITIES.columns), unique: false },
];

/**
 * The spike of a NACE revision (the register's move to NACE 2025 published one UPDATE of 7.28 M
 * changes): each activity line of the FULL the same seed writes becomes a delete of its entity
 * and an insert of the activity under NACE version 2025, with its code revised. The other
 * tables' lines are dropped.
 */
function renace(runs: Map<string, RunFile[]>) {
  return (file: string, run: number, line: string) => {
    if (file !== `${ACTIVITIES.file}.csv`) return;
    const [entity, group, , code, classification] = line.trimEnd().split(',').map((f) => f.replace(/^"|"$/g, ''));
    const revised = `${(code ?? '').slice(0, -1)}${(Number((code ?? '0').slice(-1)) + 1) % 10}`;
    runs.get(NACE_ENTRIES[0]!.name)?.[run]?.add(`"${entity}"\n`);
    runs.get(NACE_ENTRIES[1]!.name)?.[run]?.add(`"${entity}","${group}","2025","${revised}","${classification}"\n`);
  };
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

/** The header, then the lines of the sorted runs merged by key (a run before a later one on a tie); `unique`: a line equal to the one before is left out. */
async function* mergedLines(header: string, files: string[], unique = false): AsyncGenerator<string> {
  const readers = files.map((f) => createInterface({ input: createReadStream(f), crlfDelay: Infinity })[Symbol.asyncIterator]());
  const heads: (string | undefined)[] = await Promise.all(readers.map(async (r) => (await r.next()).value as string | undefined));
  let out = header;
  let last: string | undefined;
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== undefined && (best === -1 || byKey(lineKey(h), lineKey(heads[best] as string)) < 0)) best = i;
    }
    if (best === -1) break;
    if (!unique || heads[best] !== last) out += `${heads[best]}\n`;
    last = heads[best];
    if (out.length >= FLUSH_CHARS) {
      yield out;
      out = '';
    }
    heads[best] = (await (readers[best] as AsyncIterator<string>).next()).value as string | undefined;
  }
  if (out) yield out;
}
