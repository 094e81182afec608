import type { ColumnSpec } from '../../kbo/spec';
import { checkDate, checkNumber, type Checked } from '../../kbo/values';
import { PARTITIONS, partitionOf } from '../../db/partitions';
import type { CsvRecord } from './csv';

/** A rejected row (or header), with everything a user needs to find and fix it. */
export interface RowError {
  file: string;
  line: number | null;
  column: string | null;
  value: string | null;
  code: string;
  message: string;
}

/** Errors after which a file cannot be read on: they fail the import in every mode. */
export const FATAL_ROW_CODES = new Set(['BAD_HEADER', 'UNTERMINATED_QUOTE', 'RECORD_TOO_LONG']);

export interface MappedRow {
  line: number;
  values: (string | null)[];
}

/** Longest value accepted in one field; the register's longest real values are a few hundred characters. */
export const MAX_FIELD_LENGTH = 8_192;
const SHOWN_VALUE = 200;

export function shown(value: string): string {
  const v = visible(value);
  return v.length > SHOWN_VALUE ? `${v.slice(0, SHOWN_VALUE)}… (${value.length} characters)` : v;
}

/** A NUL written as `\0`: PostgreSQL's text and jsonb hold no NUL, so no message or stored value may carry one. */
export const visible = (value: string) => (value.includes('\u0000') ? value.replaceAll('\u0000', '\\0') : value);

/** The header must list exactly the expected columns, in order. */
export function checkHeader(file: string, columns: ColumnSpec[], header: string[] | undefined): RowError | null {
  const expected = columns.map((c) => c.header);
  const got = header ?? [];
  if (got.length === expected.length && got.every((h, i) => h === expected[i])) return null;
  const missing = expected.filter((h) => !got.includes(h));
  const extra = got.filter((h) => !expected.includes(h));
  const parts = [
    missing.length ? `missing ${missing.map((h) => `"${h}"`).join(', ')}` : '',
    extra.length ? `unexpected ${extra.map((h) => `"${shown(h)}"`).join(', ')}` : '',
    !missing.length && !extra.length ? 'columns in the wrong order' : '',
  ].filter(Boolean);
  return {
    file,
    line: 1,
    column: null,
    value: shown(got.join(',')),
    code: 'BAD_HEADER',
    message: `${file} line 1: the header is not the KBO header for this file (${parts.join('; ')}). Expected: ${expected.join(',')}.`,
  };
}

/**
 * The open-quote rule. A quoted field may hold a newline, but a record running over several
 * lines that then has the wrong number of fields, or a quote closing inside a value, is a
 * quote left open: it has swallowed the lines after it, so the whole file is refused, naming
 * the line where the quote opened.
 */
export function runawayQuote(file: string, columns: ColumnSpec[], record: CsvRecord, quoteProblem: boolean): RowError | null {
  const { line, fields, nextLine } = record;
  if (nextLine === undefined || (fields.length === columns.length && !quoteProblem)) return null;
  const then =
    fields.length !== columns.length ? `the record it makes has ${fields.length} fields, not ${columns.length}` : 'a quote closes inside a value there';
  return {
    file,
    line,
    column: null,
    value: shown(fields.join(',')),
    code: 'UNTERMINATED_QUOTE',
    message: `${file} line ${line}: a quoted field opened on this line runs on to line ${nextLine - 1}, and ${then}: a closing quote is missing on line ${line}.`,
  };
}

function checkValue(column: ColumnSpec, raw: string): Checked {
  if (raw.length > MAX_FIELD_LENGTH) return { ok: false, message: `is longer than ${MAX_FIELD_LENGTH} characters` };
  if (raw.includes('\u0000')) return { ok: false, message: 'holds a NUL character (\\0), which the register cannot store' };
  if (raw === '') {
    return column.required ? { ok: false, message: 'is empty, but this column is required' } : { ok: true, value: null };
  }
  switch (column.kind) {
    case 'text':
      return { ok: true, value: raw };
    case 'date':
      return checkDate(raw);
    default:
      return checkNumber(raw, column.kind);
  }
}

/**
 * Checks and normalises records against a file's columns. Pure: bad rows come back in
 * `invalid` (one error per bad field), never thrown, so a file reports all its problems.
 */
export function mapRecords(file: string, columns: ColumnSpec[], records: CsvRecord[]): { valid: MappedRow[]; invalid: RowError[] } {
  const valid: MappedRow[] = [];
  const invalid: RowError[] = [];
  // checkValue is pure and a file repeats values: a key over its entity's rows (files are in
  // key order), a date over many rows. The last value of each column, with its verdict, is kept.
  const lastRaw: (string | undefined)[] = new Array(columns.length);
  const lastChecked: Checked[] = new Array(columns.length);
  for (const { line, fields } of records) {
    if (fields.length !== columns.length) {
      invalid.push({
        file,
        line,
        column: null,
        value: shown(fields.join(',')),
        code: 'FIELD_COUNT',
        message: `${file} line ${line}: expected ${columns.length} fields but found ${fields.length}. Check for an unquoted comma or a missing value.`,
      });
      continue;
    }
    const values: (string | null)[] = new Array(columns.length);
    let ok = true;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as ColumnSpec;
      const raw = fields[i] as string;
      let checked: Checked;
      if (lastRaw[i] === raw) checked = lastChecked[i] as Checked;
      else {
        checked = checkValue(column, raw);
        lastRaw[i] = raw;
        lastChecked[i] = checked;
      }
      if (checked.ok) {
        values[i] = checked.value;
      } else {
        ok = false;
        invalid.push({
          file,
          line,
          column: column.header,
          value: shown(raw),
          code: column.kind === 'date' ? 'INVALID_DATE' : column.kind === 'text' ? 'INVALID_VALUE' : 'INVALID_NUMBER',
          message: `${file} line ${line}, column ${column.header}: "${shown(raw)}" ${checked.message}.`,
        });
      }
    }
    if (ok) valid.push({ line, values });
  }
  return { valid, invalid };
}

/** FNV-1a: a fast, stable 32-bit hash of an entity key, so one entity always lands in one batch. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The batch of a staged row, from its entity key. When the batches are a multiple of the
 * register's partitions, batch `p + PARTITIONS × j` holds keys of partition p only (j spreads a
 * partition's keys over several batches), so each batch is applied to one partition directly;
 * otherwise the key's hash picks any batch.
 */
export function batchOf(key: string, batches: number): number {
  if (batches <= 1) return 0;
  if (batches % PARTITIONS !== 0) return hashKey(key) % batches;
  const perPartition = batches / PARTITIONS;
  return partitionOf(key) + (perPartition === 1 ? 0 : PARTITIONS * (hashKey(key) % perPartition));
}

/** The partition every key of a batch falls in (see batchOf), or null when they may fall in any. */
export function batchPartition(batch: number, batches: number): number | null {
  return batches > 1 && batches % PARTITIONS === 0 ? batch % PARTITIONS : null;
}

/**
 * How many batches to cut an UPDATE's table into, from the rows expected: about `batchSize`
 * rows each, and a multiple of the partitions once there are half as many batches as
 * partitions, so batches align with partitions without getting more than twice as small.
 * Fewer (a normal day's update): batches across partitions, so a small import stays a few
 * batches.
 */
export function batchesFor(estimatedRows: number, batchSize: number): number {
  const n = Math.max(1, Math.ceil(estimatedRows / batchSize));
  return n < PARTITIONS / 2 ? n : Math.ceil(n / PARTITIONS) * PARTITIONS;
}

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** One value in COPY text format: backslash escapes, `\N` for NULL. */
export function copyValue(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** One row in COPY text format, tab-separated, newline-terminated. */
export function copyLine(values: (string | number | null)[]): string {
  if (values.length === 0) return '\n';
  let line = copyValue(values[0] as string | number | null);
  for (let i = 1; i < values.length; i++) line += '\t' + copyValue(values[i] as string | number | null);
  return line + '\n';
}

export interface RejectPolicy {
  onError: 'continue' | 'fail-fast';
  maxRejected: number | null;
  maxRejectedPercent: number | null;
}

/**
 * Whether the rejected rows fail the import: always for an error after which a file cannot be
 * read on, for any bad row in `fail-fast`, and past a threshold in `continue`. Null: go on.
 */
export function rejectionVerdict(policy: RejectPolicy, rejected: number, rowsRead: number, fatal: RowError | null): string | null {
  if (rejected === 0) return null;
  if (fatal) return `${fatal.message} The rest of ${fatal.file} cannot be read reliably, so nothing was imported.`;
  if (policy.onError === 'fail-fast') return `${rejected} bad row${rejected === 1 ? '' : 's'} found and this import stops at the first (fail-fast); nothing was imported.`;
  const percent = (100 * rejected) / Math.max(1, rowsRead);
  const shown = percent < 0.1 ? percent.toPrecision(2) : percent.toFixed(1);
  if (policy.maxRejected !== null && rejected > policy.maxRejected) {
    return `${rejected} rows were rejected, more than the ${policy.maxRejected} allowed; nothing was imported.`;
  }
  if (policy.maxRejectedPercent !== null && percent > policy.maxRejectedPercent) {
    return `${rejected} rows were rejected (${shown}% of ${rowsRead}), more than the ${policy.maxRejectedPercent}% allowed; nothing was imported. Is this the right file?`;
  }
  return null;
}
