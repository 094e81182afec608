import JSZip from 'jszip';
import type { ColumnSpec, ExtractType } from '../kbo/spec';

/**
 * How the register writes its files, as the model writes them: the row type, header and CSV
 * lines in the real dialect (every text quoted, dates bare dd-mm-yyyy, NULL as `,,` or `""`),
 * the meta file and the zip's name, and the order keys sort in.
 */
export type Row = (string | null)[];

export interface GeneratedExtract {
  type: ExtractType;
  number: number;
  snapshotDate: string;
  fileName: string;
  files: Record<string, string>;
  rows: number;
}

/** One CSV line of `row`; `rnd` chooses how an empty text is written (`,,` or `""`). */
export function csvLine(columns: ColumnSpec[], row: Row, rnd: () => number): string {
  return (
    columns
      .map((c, i) => {
        const v = row[i] ?? null;
        if (v === null) return c.kind === 'date' || rnd() < 0.5 ? '' : '""';
        if (c.kind === 'date') {
          const [y, m, d] = v.split('-');
          return `${d}-${m}-${y}`;
        }
        return `"${v.replaceAll('"', '""')}"`;
      })
      .join(',') + '\n'
  );
}

/** A whole CSV file: its header line, then one line per row. */
export function csvFile(columns: ColumnSpec[], rows: Row[], rnd: () => number): string {
  let out = headerLine(columns);
  for (const row of rows) out += csvLine(columns, row, rnd);
  return out;
}

/** An extract of `data` files: its meta.csv added, its rows counted, its zip named. */
export function extractOf(type: ExtractType, number: number, snapshotDate: string, data: Record<string, string>): GeneratedExtract {
  const [y, m, d] = snapshotDate.split('-');
  const meta = [
    '"Variable","Value"',
    `"SnapshotDate","${d}-${m}-${y}"`,
    `"ExtractTimestamp","${d}-${m}-${y} 07:40:18"`,
    `"ExtractType","${type}"`,
    `"ExtractNumber","${number}"`,
    '"Version","1.0.0"',
  ].join('\n');
  const rows = Object.values(data).reduce((s, text) => s + countLines(text) - 1, 0);
  const fileName = `KboOpenData_${String(number).padStart(4, '0')}_${y}_${m}_${d}_${type === 'full' ? 'Full' : 'Update'}.zip`;
  return { type, number, snapshotDate, fileName, files: { 'meta.csv': meta + '\n', ...data }, rows };
}

/** A file's header line, every name quoted, as the register writes it. */
/** A file's header line, every name quoted, as the register writes it. */
export function headerLine(columns: ColumnSpec[]): string {
  return columns.map((c) => `"${c.header}"`).join(',') + '\n';
}

/**
 * The run a key belongs to: enterprise numbers (`0200.000.097`), establishment numbers
 * (`2.000.000.0xx`) and branch ids (`9.000.000.0xx`) are each issued in increasing order, so
 * each run is sorted by itself and a FULL's file is the three runs merged.
 */
export function keyRun(key: string): number {
  return key.length === 12 ? 0 : key.startsWith('9') ? 2 : 1;
}

/** A CSV line's key: its first field, as written (quoted; keys hold no commas). */
export function lineKey(line: string): string {
  const comma = line.indexOf(',');
  return comma === -1 ? line : line.slice(0, comma);
}

export function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sameRow(a: Row, b: Row): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export function sortRows(rows: Row[]): Row[] {
  const key = (r: Row) => JSON.stringify(r);
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export async function zipExtract(extract: GeneratedExtract): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, text] of Object.entries(extract.files)) zip.file(name, text);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

export function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
