import { PassThrough, type Readable } from 'node:stream';
import Papa from 'papaparse';
import yauzl from 'yauzl';
import { META_FILE, META_HEADER, filesFor, type ExtractType, type FilePlan } from '../../kbo/spec';
import { checkDate } from '../../kbo/values';
import { ImportFailure } from '../../errors';
import { countNewlines } from './csv';
import { bufferSource, type ZipSource } from './source';

export interface ExtractMeta {
  snapshotDate: string;
  extractTimestamp: string;
  extractType: ExtractType;
  extractNumber: number;
  version: string;
}

export interface OpenedExtract {
  meta: ExtractMeta;
  files: Array<FilePlan & { uncompressedSize: number; open: () => Readable }>;
  warnings: string[];
}

function fail(message: string, details?: Record<string, unknown>): never {
  throw new ImportFailure('VALIDATION', message, details);
}

function unsafeName(name: string): boolean {
  return name.startsWith('/') || name.startsWith('\\') || /^[a-zA-Z]:/.test(name) || name.split(/[\\/]/).includes('..');
}

/** meta.csv's "Variable","Value" records, each with its line; refuses a bad quote, a bad record or header. */
function metaVariables(text: string): Map<string, { value: string; line: number }> {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: false });
  // Each record with the line it starts on; the same quote rules as the data files.
  const records: { fields: string[]; line: number; lines: number }[] = [];
  const starts: number[] = [];
  let line = 1;
  for (const fields of parsed.data) {
    const lines = 1 + fields.reduce((n, f) => n + countNewlines(f), 0);
    starts.push(line);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line, lines });
    line += lines;
  }
  const quote = parsed.errors.find((e) => e.type === 'Quotes');
  if (quote) {
    const at = starts[quote.row ?? 0] ?? line;
    fail(`${META_FILE} line ${at} has a quoted field that is never closed or a stray quote; a KBO ${META_FILE} has one "Variable","Value" pair per line.`, {
      file: META_FILE,
      line: at,
    });
  }
  const bad = records.find((r) => r.fields.length !== 2 || r.lines > 1);
  if (bad) {
    fail(`${META_FILE} line ${bad.line}: expected 2 fields on one line ("Variable","Value") but found ${bad.fields.length}${bad.lines > 1 ? ` over ${bad.lines} lines (a closing quote is missing)` : ''}.`, {
      file: META_FILE,
      line: bad.line,
    });
  }
  const [header, ...rows] = records;
  if (!header || header.fields.join(',') !== META_HEADER.join(',')) {
    fail(`${META_FILE} line 1: expected the header "Variable","Value".`, { file: META_FILE, line: 1 });
  }
  const vars = new Map<string, { value: string; line: number }>();
  for (const r of rows) {
    if (r.fields.some((f) => f.includes('\u0000'))) {
      fail(`${META_FILE} line ${r.line} holds a NUL character (\\0); a KBO ${META_FILE} is plain text.`, { file: META_FILE, line: r.line });
    }
    vars.set(r.fields[0] ?? '', { value: r.fields[1] ?? '', line: r.line });
  }
  return vars;
}

/** Pure: meta.csv's text to typed metadata, or a VALIDATION error naming the bad variable. */
export function parseMeta(text: string): ExtractMeta {
  const vars = metaVariables(text);
  const need = (name: string) => {
    const v = vars.get(name);
    if (!v || v.value === '') fail(`${META_FILE}: the variable ${name} is missing.`, { file: META_FILE, column: name });
    return v;
  };
  const type = need('ExtractType');
  if (type.value !== 'full' && type.value !== 'update') {
    fail(`${META_FILE} line ${type.line}: ExtractType "${type.value}" is unknown; expected "full" or "update".`, {
      file: META_FILE,
      line: type.line,
      column: 'ExtractType',
      value: type.value,
    });
  }
  const num = need('ExtractNumber');
  if (!/^\d{1,9}$/.test(num.value)) {
    fail(`${META_FILE} line ${num.line}: ExtractNumber "${num.value}" is not a whole number.`, { file: META_FILE, line: num.line, value: num.value });
  }
  const snap = need('SnapshotDate');
  const snapDate = checkDate(snap.value);
  if (!snapDate.ok || snapDate.value === null) {
    fail(`${META_FILE} line ${snap.line}: SnapshotDate "${snap.value}" is not a date dd-mm-yyyy.`, { file: META_FILE, line: snap.line, value: snap.value });
  }
  return {
    snapshotDate: snapDate.value,
    extractTimestamp: vars.get('ExtractTimestamp')?.value ?? '',
    extractType: type.value,
    extractNumber: Number(num.value),
    version: vars.get('Version')?.value ?? '',
  };
}

/** Limits that refuse a zip bomb before anything is inflated (the reader also enforces the declared size). */
export const ZIP_LIMITS = {
  /** A KBO FULL's largest file (activity.csv) is about 1.5 GB. */
  entryBytes: 4 * 1024 ** 3,
  totalBytes: 16 * 1024 ** 3,
  metaBytes: 64 * 1024,
  /** CSV deflates about 5–10:1; far beyond that is a bomb, not a register. Checked on entries over 1 MB. */
  ratio: 100,
  ratioFloorBytes: 1024 ** 2,
};

const mb = (n: number) =>
  n < 1024 ** 2 ? `${Math.round(n / 1024).toLocaleString('en')} KB` : `${Math.round(n / 1024 ** 2).toLocaleString('en')} MB`;

/** Pure: refuses entries (by their declared sizes) that would inflate past the limits. */
export function checkSizes(entries: { name: string; compressed: number; uncompressed: number }[]): void {
  let total = 0;
  for (const e of entries) {
    total += e.uncompressed;
    const limit = e.name === META_FILE ? ZIP_LIMITS.metaBytes : ZIP_LIMITS.entryBytes;
    if (e.uncompressed > limit) {
      fail(`${e.name} would unpack to ${mb(e.uncompressed)}, over the ${mb(limit)} a KBO file can be; the zip was refused without unpacking it.`, {
        file: e.name,
        uncompressed: e.uncompressed,
      });
    }
    if (e.uncompressed > ZIP_LIMITS.ratioFloorBytes && e.uncompressed > ZIP_LIMITS.ratio * Math.max(1, e.compressed)) {
      const ratio = Math.round(e.uncompressed / Math.max(1, e.compressed));
      fail(
        `${e.name} would unpack ${ratio} times larger than it is packed (${mb(e.uncompressed)}); a real extract packs about 5 to 10 times, so this looks like a zip bomb and was refused without unpacking it.`,
        { file: e.name, ratio },
      );
    }
  }
  if (total > ZIP_LIMITS.totalBytes) {
    fail(`The zip would unpack to ${mb(total)}, over the ${mb(ZIP_LIMITS.totalBytes)} limit; it was refused without unpacking it.`, { uncompressed: total });
  }
}

/** The compression methods a zip may name, for the message; only stored (0) and deflate (8) are read. */
const METHODS: Record<number, string> = { 9: 'Deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'XZ', 96: 'JPEG', 97: 'WavPack', 98: 'PPMd', 99: 'AES encryption' };

/**
 * Pure: refuses, before any job exists, a zip whose entries this reader cannot take at face
 * value: a name given twice (which copy is the file?), an entry compressed with anything but
 * deflate (or stored), an encrypted entry. Each message names the entry.
 */
export function checkEntries(entries: Pick<ZipEntry, 'name' | 'method' | 'encrypted'>[]): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (/[\u0000-\u001f\u007f]/.test(e.name)) {
      const named = JSON.stringify(e.name).replaceAll('\\u0000', '\\0');
      fail(`The zip holds an entry named ${named}, with a control character in its name; a KBO extract's files are named plainly. Download the extract again and upload it as it comes.`, {
        file: named,
      });
    }
    if (seen.has(e.name)) {
      fail(`The zip holds ${e.name} more than once; a KBO extract has each file once, so which copy to import is not clear. Download the extract again and upload it as it comes.`, {
        file: e.name,
      });
    }
    seen.add(e.name);
    if (e.encrypted || e.method === 99) {
      fail(`${e.name} is encrypted inside the zip; the register publishes its extracts unencrypted. Upload the extract as downloaded.`, { file: e.name });
    }
    if (e.method !== 0 && e.method !== 8) {
      const what = METHODS[e.method] ?? `compression method ${e.method}`;
      fail(`${e.name} is compressed with ${what}, which this importer does not read; the register publishes deflate zips. Upload the extract as downloaded, or pack it again with deflate.`, {
        file: e.name,
        method: e.method,
      });
    }
  }
}

/** One entry of the zip, by its central directory. */
export interface ZipEntry {
  name: string;
  compressed: number;
  uncompressed: number;
  /** The zip compression method (0 stored, 8 deflate, …). */
  method: number;
  encrypted: boolean;
  /** The inflated bytes; opened lazily, so an error reaches whoever reads. */
  open: () => Readable;
}

class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: ZipSource) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    return this.source.range(start, end);
  }
}

/** Reads the central directory of a zip from any source; entries stream from it on demand. */
export async function listEntries(source: ZipSource): Promise<ZipEntry[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new SourceReader(source), source.size, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false, // names are judged below, with our own message
      validateEntrySizes: true,
    });
  } catch (err) {
    // yauzl's wording is for developers; keep it in the details.
    fail('The upload is not a readable zip file: it is damaged, truncated, or not a zip at all. Upload the KBO extract zip as downloaded.', {
      reason: (err as Error).message,
    });
  }
  const entries: ZipEntry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      const name = (entry.fileName as unknown as Buffer).toString('utf8');
      if (name.endsWith('/')) continue;
      entries.push({
        name,
        compressed: entry.compressedSize,
        uncompressed: entry.uncompressedSize,
        method: entry.compressionMethod,
        encrypted: (entry.generalPurposeBitFlag & 0x1) !== 0,
        open: () => {
          // The entry's stream arrives asynchronously; hand out a stream now and pipe it in.
          const out = new PassThrough();
          zip.openReadStreamPromise(entry).then(
            (stream) => {
              stream.on('error', (err) => out.destroy(err));
              stream.pipe(out);
            },
            (err: Error) => out.destroy(err),
          );
          return out;
        },
      });
    }
  } catch (err) {
    fail('The upload is not a readable zip file: its list of files is damaged or truncated. Upload the KBO extract zip as downloaded.', {
      reason: (err as Error).message,
    });
  }
  return entries;
}

async function readText(entry: ZipEntry): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of entry.open()) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/**
 * Opens a KBO zip: checks entry names, reads meta.csv and finds the files its ExtractType
 * requires. Nothing is inflated beyond meta.csv; each data file is streamed later.
 */
export async function openExtract(input: ZipSource | Uint8Array): Promise<OpenedExtract> {
  const source = input instanceof Uint8Array ? bufferSource(input) : input;
  const entries = await listEntries(source);
  const bad = entries.find((e) => unsafeName(e.name));
  if (bad) fail(`The zip contains an entry with an unsafe path ("${bad.name}"); a KBO extract has only plain file names.`, { file: bad.name });

  checkEntries(entries);
  checkSizes(entries);

  const byName = new Map(entries.map((e) => [e.name, e]));
  const metaEntry = byName.get(META_FILE);
  if (!metaEntry) fail(`The zip has no ${META_FILE}, so it is not a KBO extract (or it was re-packed into a folder).`, { file: META_FILE });
  let metaText: string;
  try {
    metaText = await readText(metaEntry);
  } catch (err) {
    fail(`${META_FILE} is damaged inside the zip (${(err as Error).message}). Download the extract again and upload it as it comes.`, { file: META_FILE });
  }
  const meta = parseMeta(metaText);

  const plans = filesFor(meta.extractType);
  const missing = plans.filter((p) => !byName.has(p.name)).map((p) => p.name);
  if (missing.length) {
    fail(`The ${meta.extractType} extract is missing ${missing.join(', ')}.`, { files: missing });
  }
  const known = new Set([META_FILE, ...plans.map((p) => p.name)]);
  const warnings = entries.filter((e) => !known.has(e.name)).map((e) => `Ignored unknown file ${e.name} in the zip.`);

  return {
    meta,
    warnings,
    files: plans.map((p) => {
      const entry = byName.get(p.name) as ZipEntry;
      return { ...p, uncompressedSize: entry.uncompressed, open: entry.open };
    }),
  };
}
