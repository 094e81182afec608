import { finished as onFinished, Transform, type Readable, type TransformCallback } from 'node:stream';
import Papa from 'papaparse';
import { ImportFailure } from './errors';

/** One CSV record and the line it starts on (1 = the header). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A problem papaparse saw in a record (a stray or unterminated quote). */
export interface CsvQuoteProblem {
  line: number;
  message: string;
  /** An unterminated quote swallows the rest of the file: no later line can be trusted. */
  fatal: boolean;
}

export interface CsvChunk {
  records: CsvRecord[];
  problems: CsvQuoteProblem[];
}

const DECODED_CHUNK = 512 * 1024;
const MAX_QUEUED_CHUNKS = 4;

/**
 * Strict UTF-8 decoding (a BOM is dropped): invalid bytes fail the file with the line they
 * are on, instead of turning into U+FFFD and landing in the database.
 */
export class Utf8Decoder extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private pending = '';
  private lines = 1;

  constructor(private readonly file: string) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      const lenient = new TextDecoder('utf-8').decode(chunk);
      const bad = lenient.indexOf('\uFFFD');
      const line = this.lines + countNewlines(this.pending) + countNewlines(lenient.slice(0, Math.max(bad, 0)));
      done(
        new ImportFailure('VALIDATION', `${this.file} line ${line}: the file is not valid UTF-8. Re-export it as UTF-8 and upload it again.`, {
          file: this.file,
          line,
          code: 'INVALID_UTF8',
        }),
      );
      return;
    }
    this.pending += text;
    if (this.pending.length >= DECODED_CHUNK) this.flushPending();
    done();
  }

  override _flush(done: TransformCallback): void {
    try {
      this.pending += this.decoder.decode();
    } catch {
      done(new ImportFailure('VALIDATION', `${this.file}: the file ends in the middle of a UTF-8 character.`, { file: this.file, code: 'INVALID_UTF8' }));
      return;
    }
    this.flushPending();
    done();
  }

  private flushPending(): void {
    if (!this.pending) return;
    this.lines += countNewlines(this.pending);
    this.push(this.pending);
    this.pending = '';
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Stream-parses a CSV (RFC 4180 quoting, `""` escapes, any line ending) into chunks of
 * records, each tagged with the line it starts on. Memory is bounded: the byte source is
 * paused while the consumer is behind. Blank lines are skipped (they still count as lines).
 */
export async function* readCsv(source: Readable, file: string): AsyncGenerator<CsvChunk> {
  const decoded = new Utf8Decoder(file);
  // finished() also reports a source that failed before we got here (no 'error' event is missed).
  onFinished(source, (err) => {
    if (err) decoded.destroy(err);
  });
  source.pipe(decoded);

  const queue: CsvChunk[] = [];
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let nextLine = 1;
  const signal = () => {
    wake?.();
    wake = undefined;
  };

  Papa.parse<string[]>(decoded as unknown as File, {
    header: false,
    delimiter: ',',
    quoteChar: '"',
    escapeChar: '"',
    skipEmptyLines: false,
    chunk(results) {
      const records: CsvRecord[] = [];
      const problems: CsvQuoteProblem[] = [];
      const starts: number[] = [];
      for (const fields of results.data) {
        const line = nextLine;
        starts.push(line);
        nextLine += 1;
        for (const f of fields) if (f.includes('\n')) nextLine += countNewlines(f);
        if (fields.length === 1 && fields[0] === '') continue;
        records.push({ line, fields });
      }
      for (const e of results.errors) {
        if (e.type !== 'Quotes') continue; // field counts are checked against the header later
        problems.push({ line: starts[e.row ?? 0] ?? nextLine, message: quoteMessage(e), fatal: e.code === 'MissingQuotes' });
      }
      queue.push({ records, problems });
      if (queue.length >= MAX_QUEUED_CHUNKS) decoded.pause();
      signal();
    },
    complete() {
      finished = true;
      signal();
    },
    error(err: unknown) {
      failure = err;
      signal();
    },
  });
  decoded.on('error', (err) => {
    failure ??= err;
    signal();
  });

  try {
    while (true) {
      const next = queue.shift();
      if (next) {
        if (queue.length < MAX_QUEUED_CHUNKS && decoded.isPaused()) decoded.resume();
        yield next;
        continue;
      }
      if (failure) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    source.unpipe(decoded);
    decoded.destroy();
  }
}

function quoteMessage(e: Papa.ParseError): string {
  if (e.code === 'MissingQuotes') return 'has a quoted field that is never closed (missing closing ")';
  if (e.code === 'InvalidQuotes') return 'has a stray character after a closing quote (a quote inside a value must be doubled: "")';
  return e.message;
}
