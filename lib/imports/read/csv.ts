import type { Readable } from 'node:stream';
import Papa from 'papaparse';
import { ImportFailure } from '../../errors';

/** One CSV record and the line it starts on (1 = the header). */
export interface CsvRecord {
  line: number;
  fields: string[];
  /** Set when a quoted field holds a newline: the line after the record's last one. */
  nextLine?: number;
}

/**
 * A problem in a file's quoting or size: a stray quote (that record is rejected), or one no
 * later line can be trusted after (a quote never closed, a record of megabytes).
 */
export interface CsvProblem {
  line: number;
  code: 'MALFORMED_QUOTES' | 'UNTERMINATED_QUOTE' | 'RECORD_TOO_LONG';
  message: string;
  fatal: boolean;
}

export interface CsvChunk {
  records: CsvRecord[];
  problems: CsvProblem[];
}

/** The newlines in a string (a quoted field's, say). */
export function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Where reading a file stands: an uncompressed byte offset at a record boundary, and the line that starts there. */
export interface CsvPosition {
  offset: number;
  line: number;
}

export interface CsvChunkAt extends CsvChunk {
  /** Just past the chunk's last record: reading on from here sees exactly the following records. */
  end: CsvPosition;
}

/** Bytes parsed at a time, cut at a record boundary. */
const PIECE_BYTES = 512 * 1024;
/**
 * The longest record read: the register's longest rows are well under a kilobyte. A longer
 * one is scanned to its end (to tell a huge value from a quote never closed) but not kept.
 */
export const MAX_RECORD_BYTES = 8 * 1024 * 1024;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const enum Scan {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: `""`, a closing quote, or a stray one (papaparse reads on). */
  QuoteInQuoted,
}

/**
 * Finds record boundaries in raw bytes with papaparse's quoting rules: a newline ends a
 * record unless it is inside a quoted field. Pure and incremental; counts every newline.
 */
export class RecordBoundaries {
  private state = Scan.FieldStart;
  /** Absolute offset just past the last boundary seen, and the line starting there. */
  boundary: CsvPosition;
  private line: number;

  constructor(from: CsvPosition) {
    this.boundary = { ...from };
    this.line = from.line;
  }

  /** Whether the bytes scanned so far end inside a quoted field. */
  get inQuotes(): boolean {
    return this.state === Scan.Quoted;
  }

  /** Scans `bytes`, which start at absolute offset `at`. */
  scan(bytes: Uint8Array, at: number): void {
    let state = this.state;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === LF) this.line++;
      switch (state) {
        case Scan.FieldStart:
        case Scan.Unquoted:
          if (b === QUOTE && state === Scan.FieldStart) state = Scan.Quoted;
          else if (b === COMMA) state = Scan.FieldStart;
          else if (b === LF) {
            state = Scan.FieldStart;
            this.boundary = { offset: at + i + 1, line: this.line };
          } else state = Scan.Unquoted;
          break;
        case Scan.Quoted:
          if (b === QUOTE) state = Scan.QuoteInQuoted;
          break;
        case Scan.QuoteInQuoted:
          if (b === QUOTE) state = Scan.Quoted;
          else if (b === COMMA) state = Scan.FieldStart;
          else if (b === CR) state = Scan.Unquoted;
          else if (b === LF) {
            state = Scan.FieldStart;
            this.boundary = { offset: at + i + 1, line: this.line };
          } else state = Scan.Quoted;
          break;
      }
    }
    this.state = state;
  }
}

/**
 * Reads a CSV (RFC 4180 quoting, `""` escapes, any line ending) in chunks of records, each
 * record tagged with the line it starts on and each chunk with the position just past it, so
 * a later call can resume exactly there. `source` is the whole file's bytes; reading starts at
 * `from` (the bytes before are skipped). Memory is bounded by a piece of about 512 KB.
 * Blank lines are skipped (they still count as lines). Invalid UTF-8 fails with its line.
 */
export async function* readCsv(source: Readable, file: string, from: CsvPosition = { offset: 0, line: 1 }): AsyncGenerator<CsvChunkAt> {
  const bounds = new RecordBoundaries(from);
  let start: CsvPosition = { ...from };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seen = 0;
  /** Bytes of a record past MAX_RECORD_BYTES scanned so far (no longer kept). */
  let oversize = 0;

  for await (const raw of source) {
    let chunk = raw as Buffer;
    if (seen + chunk.length <= from.offset) {
      seen += chunk.length;
      continue;
    }
    if (seen < from.offset) chunk = chunk.subarray(from.offset - seen);
    seen = Math.max(seen, from.offset);
    // Large reads are taken a piece at a time, so a piece stays about PIECE_BYTES.
    for (let i = 0; i < chunk.length; i += PIECE_BYTES) {
      const part = chunk.subarray(i, i + PIECE_BYTES);
      bounds.scan(part, seen);
      seen += part.length;
      if (oversize) {
        if (bounds.boundary.offset === start.offset) {
          oversize += part.length;
          continue;
        }
        yield tooLong(start, bounds.boundary.offset - start.offset);
        return;
      }
      pending.push(part);
      pendingBytes += part.length;
      if (pendingBytes < PIECE_BYTES) continue;
      const end = bounds.boundary;
      if (end.offset === start.offset) {
        if (pendingBytes > MAX_RECORD_BYTES) {
          oversize = pendingBytes;
          pending = [];
          pendingBytes = 0;
        }
        continue;
      }
      const all = Buffer.concat(pending);
      const cut = end.offset - start.offset;
      yield parsePiece(all.subarray(0, cut), file, start, end);
      pending = [all.subarray(cut)];
      pendingBytes = all.length - cut;
      start = end;
    }
  }
  if (oversize) {
    yield bounds.inQuotes ? unterminated(start) : tooLong(start, oversize);
    return;
  }
  if (pendingBytes > 0) {
    const end = { offset: start.offset + pendingBytes, line: Number.MAX_SAFE_INTEGER };
    yield parsePiece(Buffer.concat(pending), file, start, end);
  }
}

const UNTERMINATED = 'has a quoted field that is never closed (missing closing ")';

function unterminated(at: CsvPosition): CsvChunkAt {
  return { records: [], problems: [{ line: at.line, code: 'UNTERMINATED_QUOTE', message: UNTERMINATED, fatal: true }], end: at };
}

function tooLong(at: CsvPosition, bytes: number): CsvChunkAt {
  const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;
  const message = `holds a record of ${mb(bytes)}, more than the ${mb(MAX_RECORD_BYTES)} a record may have (a register row is under 1 KB): a value is far too long`;
  return { records: [], problems: [{ line: at.line, code: 'RECORD_TOO_LONG', message, fatal: true }], end: at };
}

/** Parses whole records (bytes from one boundary to another) with papaparse. */
function parsePiece(bytes: Buffer, file: string, start: CsvPosition, end: CsvPosition): CsvChunkAt {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const line = start.line + countNewlines(lenient.slice(0, Math.max(lenient.indexOf('\uFFFD'), 0)));
    throw new ImportFailure('VALIDATION', `${file} line ${line}: the file is not valid UTF-8. Re-export it as UTF-8 and upload it again.`, {
      file,
      line,
      code: 'INVALID_UTF8',
    });
  }
  if (start.offset === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Without a CR anywhere, papaparse's own guess of the line ending is LF: saying so spares it a scan.
  const newline = text.indexOf('\r') === -1 ? '\n' : undefined;
  const results = Papa.parse<string[]>(text, { header: false, delimiter: ',', quoteChar: '"', escapeChar: '"', skipEmptyLines: false, ...(newline ? { newline } : {}) });
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  const starts: number[] = [];
  let nextLine = start.line;
  for (const fields of results.data) {
    const line = nextLine;
    starts.push(line);
    nextLine += 1;
    for (const f of fields) if (f.includes('\n')) nextLine += countNewlines(f);
    if (fields.length === 1 && fields[0] === '') continue;
    records.push(nextLine === line + 1 ? { line, fields } : { line, fields, nextLine });
  }
  for (const e of results.errors) {
    if (e.type !== 'Quotes') continue; // field counts are checked against the header later
    const line = starts[e.row ?? 0] ?? nextLine;
    if (e.code === 'MissingQuotes') problems.push({ line, code: 'UNTERMINATED_QUOTE', message: UNTERMINATED, fatal: true });
    else problems.push({ line, code: 'MALFORMED_QUOTES', message: quoteMessage(e), fatal: false });
  }
  return { records, problems, end: end.line === Number.MAX_SAFE_INTEGER ? { offset: end.offset, line: nextLine } : end };
}

function quoteMessage(e: Papa.ParseError): string {
  if (e.code === 'InvalidQuotes') return 'has a stray character after a closing quote (a quote inside a value must be doubled: "")';
  return e.message;
}
