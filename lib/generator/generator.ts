import JSZip from 'jszip';
import { CODE_TABLE, KBO_TABLES, type ColumnSpec, type DataTableName, type ExtractType } from '../kbo/spec';
import { formatEnterprise, formatEstablishment, withMod97 } from '../kbo/values';

/**
 * A seeded, deterministic model of the register that writes KBO-format FULL and UPDATE zips
 * in the real dialect (quoted text, unquoted dd-mm-yyyy dates, `,,` and `""` empties, quoted
 * commas and `""` escapes, establishment numbers as EntityNumber, keys both deleted and
 * inserted) and keeps the state an import of those zips must produce.
 */
export type Row = (string | null)[];
export type TableState = Map<string, Row[]>;
export type ModelState = Record<DataTableName, TableState> & { codes: Row[] };

export interface GeneratedExtract {
  type: ExtractType;
  number: number;
  snapshotDate: string;
  fileName: string;
  files: Record<string, string>;
  rows: number;
}

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STREETS = ['Kerkstraat', 'Rue de la Station', 'Stationsstraat', 'Chaussée de Louvain', 'Dorpsstraat', 'Grote Markt'];
const TOWNS: [string, string, string][] = [
  ['1000', 'Brussel', 'Bruxelles'],
  ['2000', 'Antwerpen', 'Anvers'],
  ['9000', 'Gent', 'Gand'],
  ['4000', 'Luik', 'Liège'],
  ['3000', 'Leuven', 'Louvain'],
];
const NAMES = ['Janssens', 'Peeters', 'Maes', 'Dubois', 'Lambert', 'Dupont', 'Claes', 'Willems', 'Mertens', 'Leroy'];
const NACE = ['62010', '47110', '56101', '43210', '69201', '70220', '86210', '41101', '96021', '01110'];

export class RegisterModel {
  readonly state: ModelState;
  private readonly rnd: () => number;
  private nextEnterprise = 0;
  private nextEstablishment = 0;
  private nextBranch = 0;
  private corrections = 0;

  constructor(seed: number) {
    this.rnd = prng(seed);
    this.state = {
      enterprises: new Map(),
      establishments: new Map(),
      denominations: new Map(),
      addresses: new Map(),
      contacts: new Map(),
      activities: new Map(),
      branches: new Map(),
      codes: [],
    };
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)] as T;
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }
  private date(): string {
    const y = this.int(1960, 2025);
    return `${y}-${String(this.int(1, 12)).padStart(2, '0')}-${String(this.int(1, 28)).padStart(2, '0')}`;
  }

  private enterpriseNumber(): string {
    return formatEnterprise(withMod97(2_000_000 + 7 * this.nextEnterprise++));
  }
  private establishmentNumber(): string {
    return formatEstablishment(withMod97(20_000_000 + 3 * this.nextEstablishment++));
  }
  private branchId(): string {
    return formatEstablishment(withMod97(90_000_000 + 11 * this.nextBranch++));
  }

  private name(): string {
    const a = this.pick(NAMES);
    const r = this.rnd();
    if (r < 0.2) return `${a}, ${this.pick(NAMES)}`; // a quoted comma, like "Callebaut, Brenda"
    if (r < 0.3) return `Bistro "${a}"`; // an embedded quote, written as ""
    return `${a} ${this.pick(['BV', 'NV', 'SRL', 'VZW', '& Zonen'])}`;
  }

  private activitiesFor(entity: string, count: number): Row[] {
    // Distinct codes per entity: the only duplicates are the ones placed on purpose.
    const start = this.int(0, NACE.length - 1);
    const rows: Row[] = [];
    for (let i = 0; i < Math.min(count, NACE.length); i++) {
      rows.push([entity, this.pick(['001', '003', '006']), this.pick(['2008', '2025']), NACE[(start + i) % NACE.length] as string, i === 0 ? 'MAIN' : 'SECO']);
    }
    return rows;
  }

  private addressFor(entity: string, type: string): Row {
    const [zip, nl, fr] = this.pick(TOWNS);
    const street = this.pick(STREETS);
    const box = this.rnd() < 0.3 ? String(this.int(1, 30)) : null;
    return [entity, type, null, null, zip, nl, fr, street, street, String(this.int(1, 250)), box, null, null];
  }

  /** All rows of one new enterprise (and its establishments and branches), per table. */
  newEnterprise(): Partial<Record<DataTableName, Row[]>> {
    const n = this.enterpriseNumber();
    const natural = this.rnd() < 0.4;
    const out: Record<DataTableName, Row[]> = {
      enterprises: [[n, 'AC', '000', natural ? '1' : '2', natural ? null : this.pick(['014', '015', '017', '610']), null, this.date()]],
      establishments: [],
      denominations: [[n, this.pick(['1', '2']), '001', this.name()]],
      addresses: [this.addressFor(n, 'REGO')],
      contacts: [],
      activities: this.activitiesFor(n, this.int(1, 8)),
      branches: [],
    };
    if (this.rnd() < 0.3) out.denominations.push([n, this.pick(['1', '2', '0']), '003', this.name()]);
    if (this.rnd() < 0.35) out.contacts.push([n, 'ENT', this.pick(['TEL', 'EMAIL', 'WEB']), `info@${n.replaceAll('.', '')}.be`]);
    const establishments = natural ? this.int(0, 1) : this.int(0, 2);
    for (let i = 0; i < establishments; i++) {
      const e = this.establishmentNumber();
      out.establishments.push([e, this.date(), n]);
      if (this.rnd() < 0.5) out.denominations.push([e, '2', '003', this.name()]);
      out.addresses.push(this.addressFor(e, 'BAET'));
      out.activities.push(...this.activitiesFor(e, this.int(0, 4)));
    }
    if (this.rnd() < 0.02) {
      const b = this.branchId();
      out.branches.push([b, this.date(), n]);
      out.denominations.push([b, '1', '004', this.name()]);
    }
    return out;
  }

  private codes(version: number): Row[] {
    const rows: Row[] = [];
    for (const lang of ['FR', 'NL']) {
      rows.push(['Language', '1', lang, lang === 'FR' ? 'français' : 'Frans']);
      rows.push(['Language', '2', lang, lang === 'FR' ? 'néerlandais' : 'Nederlands']);
      rows.push(['TypeOfDenomination', '001', lang, lang === 'FR' ? 'Dénomination' : 'Naam']);
      rows.push(['JuridicalForm', '014', lang, lang === 'FR' ? 'Société anonyme, "SA"' : 'Naamloze vennootschap']);
      for (const nace of NACE) rows.push(['Nace2025', nace, lang, `Activity ${nace} (${lang}) v${nace === NACE[version % NACE.length] ? version : 0}`]);
    }
    return rows;
  }

  private add(table: DataTableName, rows: Row[]): void {
    const state = this.state[table];
    for (const row of rows) {
      const key = row[0] as string;
      const current = state.get(key) ?? [];
      if (!current.some((r) => sameRow(r, row))) current.push(row);
      state.set(key, current);
    }
  }

  /**
   * The lines of a FULL of `count` new enterprises, handed to `put` as they are made, each with
   * its file and the run of its kind of key (enterprise, establishment, branch numbers: each run
   * is already in key order, see `keyRun`). With `keep`, the model's state takes the rows too.
   * The first activity line is put twice: an exact duplicate line, stored once, counted as a
   * duplicate. `full` collects the lines in memory; `writeFullZip` streams them to disk.
   */
  fullLines(count: number, keep: boolean, put: (file: string, run: number, line: string) => void): number {
    let lines = 0;
    for (let i = 0; i < count; i++) {
      const rows = this.newEnterprise();
      for (const t of KBO_TABLES) {
        for (const row of rows[t.table] ?? []) {
          if (keep) this.add(t.table, [row]);
          const line = this.line(t.columns, row);
          const run = keyRun(row[0] as string);
          put(`${t.file}.csv`, run, line);
          lines++;
          if (t.table === 'activities' && !this.duplicated) {
            this.duplicated = true;
            put(`${t.file}.csv`, run, line);
            lines++;
          }
        }
      }
    }
    return lines;
  }
  private duplicated = false;

  /** The code table and meta of a FULL numbered `number`: what `fullLines` leaves out. */
  fullFrame(number: number, snapshotDate: string): GeneratedExtract {
    this.state.codes = this.codes(number);
    return this.finish('full', number, snapshotDate, { 'code.csv': this.csv(CODE_TABLE.columns, this.state.codes) });
  }

  /** A FULL extract of `enterprises` new enterprises into an empty register, held in memory. */
  full(number: number, enterprises: number, snapshotDate: string): GeneratedExtract {
    const lines = new Map<string, string[]>(KBO_TABLES.map((t) => [`${t.file}.csv`, []]));
    const rows = this.fullLines(enterprises, true, (file, _run, line) => (lines.get(file) as string[]).push(line));
    const frame = this.fullFrame(number, snapshotDate);
    const files: Record<string, string> = { ...frame.files };
    // Like the register's own files, a FULL lists its rows in key order (stable within a key).
    for (const t of KBO_TABLES) {
      const sorted = (lines.get(`${t.file}.csv`) as string[]).sort((a, b) => byKey(lineKey(a), lineKey(b)));
      files[`${t.file}.csv`] = headerLine(t.columns) + sorted.join('');
    }
    return { ...frame, files, rows: frame.rows + rows };
  }

  /**
   * An UPDATE: new, ended and changed entities, plus the dialect's edge cases. `churn` is the
   * share of the register's enterprises added and changed (a normal day: 1%).
   */
  update(number: number, snapshotDate: string, churn = 0.01): GeneratedExtract {
    const deletes = Object.fromEntries(KBO_TABLES.map((t) => [t.table, [] as string[]])) as Record<DataTableName, string[]>;
    const inserts = emptyTables();
    const enterprises = [...this.state.enterprises.keys()];
    const size = Math.max(2, Math.round(enterprises.length * churn));
    const chosen = new Set<string>();
    const choose = () => {
      for (let tries = 0; tries < 20; tries++) {
        const k = this.pick(enterprises);
        if (!chosen.has(k)) return chosen.add(k), k;
      }
      return undefined;
    };

    for (let i = 0; i < size; i++) {
      for (const [t, rows] of Object.entries(this.newEnterprise())) inserts[t as DataTableName].push(...rows);
    }
    for (let i = 0; i < Math.max(1, size >> 1); i++) {
      const n = choose();
      if (!n) continue;
      // An enterprise struck off: its rows end in every table, its establishments too.
      const entities = [n, ...(this.state.establishments.size ? [...this.state.establishments.values()].flat().filter((r) => r[2] === n).map((r) => r[0] as string) : [])];
      deletes.enterprises.push(n);
      for (const e of entities.slice(1)) deletes.establishments.push(e);
      for (const table of ['denominations', 'addresses', 'contacts', 'activities'] as const) {
        for (const e of entities) if (this.state[table].has(e)) deletes[table].push(e);
      }
    }
    for (let i = 0; i < size; i++) {
      const n = choose();
      if (!n) continue;
      // Modified: the same key is deleted and inserted (new situation, new activities).
      const old = this.state.enterprises.get(n)?.[0] as Row;
      deletes.enterprises.push(n);
      inserts.enterprises.push([n, 'AC', this.pick(['000', '012', '030']), old[3] ?? null, old[4] ?? null, null, old[6] ?? null]);
      deletes.activities.push(n);
      inserts.activities.push(...this.activitiesFor(n, this.int(1, 5)));
      if (this.rnd() < 0.5) {
        deletes.denominations.push(n);
        inserts.denominations.push([n, '2', '001', this.name()]);
      }
      if (this.rnd() < 0.5) {
        deletes.addresses.push(n);
        inserts.addresses.push(this.addressFor(n, 'REGO'));
      }
    }
    // A delete of an entity with no current rows: a counted no-op.
    deletes.contacts.push(formatEnterprise(withMod97(99_999_000 + number)));
    // An insert identical to a row that is already current: counted as unchanged.
    const untouched = enterprises.find((k) => !chosen.has(k) && this.state.activities.has(k));
    if (untouched) inserts.activities.push([...(this.state.activities.get(untouched)?.[0] as Row)]);
    // An exact duplicate line within one file.
    if (inserts.activities[0]) inserts.activities.push([...inserts.activities[0]]);

    for (const t of KBO_TABLES) {
      for (const k of deletes[t.table]) this.state[t.table].delete(k);
      this.add(t.table, inserts[t.table]);
    }
    this.state.codes = this.codes(number);
    const files: Record<string, string> = { 'code.csv': this.csv(CODE_TABLE.columns, this.state.codes) };
    for (const t of KBO_TABLES) {
      files[`${t.file}_delete.csv`] = this.csv([t.columns[0] as ColumnSpec], deletes[t.table].map((k) => [k]));
      files[`${t.file}_insert.csv`] = this.csv(t.columns, inserts[t.table]);
    }
    return this.finish('update', number, snapshotDate, files);
  }

  /**
   * A FULL of the model's state as it stands, what the register publishes every day beside
   * its UPDATE: every current row, in key order, and (like `full`) one exact duplicate line.
   */
  snapshot(number: number, snapshotDate: string): GeneratedExtract {
    this.state.codes = this.codes(number);
    const files: Record<string, string> = { 'code.csv': this.csv(CODE_TABLE.columns, this.state.codes) };
    for (const t of KBO_TABLES) {
      const rows = [...this.state[t.table].values()].flat().sort((a, b) => byKey(a[0] as string, b[0] as string));
      if (t.table === 'activities' && rows[0]) rows.splice(1, 0, [...rows[0]]);
      files[`${t.file}.csv`] = this.csv(t.columns, rows);
    }
    return this.finish('full', number, snapshotDate, files);
  }

  /**
   * Moves the model's state the way a missed extract or an upstream correction does, with no
   * UPDATE to say so: in every table about `share` of the rows disappear, as many change one
   * value, and as many new ones appear (some for new entities, some for existing ones).
   * Returns, per table, what a resync from the old state to the new one must do.
   */
  drift(share = 0.01): Record<DataTableName, { ended: number; inserted: number; unchanged: number }> {
    const out = {} as Record<DataTableName, { ended: number; inserted: number; unchanged: number }>;
    const fresh = [...Array(Math.max(3, Math.round(this.state.enterprises.size * share)))].map(() => this.newEnterprise());
    for (const t of KBO_TABLES) {
      const state = this.state[t.table];
      const before = new Set([...state.values()].flat().map((r) => JSON.stringify(r)));
      const keys = [...state.keys()];
      const k = Math.max(1, Math.round(before.size * share));
      // The value corrected: a text column, else (establishments) the start date.
      const text = t.columns.findIndex((c, j) => j > 0 && c.kind === 'text');
      const col = text > 0 ? text : t.columns.findIndex((c) => c.kind === 'date');
      const corrected = (old: string | null) =>
        text > 0 ? `${old ?? ''}~${++this.corrections}` : addDays(old ?? '2000-01-01', 1 + (++this.corrections % 300));
      for (let i = 0; i < k && keys.length; i++) {
        // A row gone: sometimes the entity's last, so the FULL lacks the key altogether.
        const at = this.int(0, keys.length - 1);
        const key = keys[at] as string;
        const rows = state.get(key) as Row[];
        rows.splice(this.int(0, rows.length - 1), 1);
        if (rows.length === 0) {
          state.delete(key);
          keys[at] = keys[keys.length - 1] as string;
          keys.pop();
        }
      }
      for (let i = 0; i < k && keys.length; i++) {
        // A row changed: one non-key text value corrected.
        const rows = state.get(this.pick(keys)) as Row[];
        const at = this.int(0, rows.length - 1);
        const row = [...(rows[at] as Row)];
        row[col] = corrected(row[col] ?? null);
        rows[at] = row;
      }
      // New rows: a few new entities, and new rows for existing ones.
      for (const e of fresh) this.add(t.table, e[t.table] ?? []);
      // (Not where the register holds one row per key: a second row would be a second status.)
      for (let i = 0; i < (t.oneRowPerKey ? 0 : k); i++) {
        const key = this.pick(keys);
        const like = state.get(key)?.[0] ?? e0(fresh, t.table);
        if (!like) continue;
        const row = [...like];
        row[0] = key;
        row[col] = corrected(null);
        this.add(t.table, [row]);
      }
      const after = new Set([...state.values()].flat().map((r) => JSON.stringify(r)));
      let unchanged = 0;
      for (const r of after) if (before.has(r)) unchanged++;
      out[t.table] = { ended: before.size - unchanged, inserted: after.size - unchanged, unchanged };
    }
    return out;
  }

  private finish(type: ExtractType, number: number, snapshotDate: string, data: Record<string, string>): GeneratedExtract {
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

  /** The real dialect: every text quoted, dates bare dd-mm-yyyy, NULL as `,,` or `""`. */
  private csv(columns: ColumnSpec[], rows: Row[]): string {
    let out = headerLine(columns);
    for (const row of rows) out += this.line(columns, row);
    return out;
  }

  private line(columns: ColumnSpec[], row: Row): string {
    return (
      columns
        .map((c, i) => {
          const v = row[i] ?? null;
          if (v === null) return c.kind === 'date' || this.rnd() < 0.5 ? '' : '""';
          if (c.kind === 'date') {
            const [y, m, d] = v.split('-');
            return `${d}-${m}-${y}`;
          }
          return `"${v.replaceAll('"', '""')}"`;
        })
        .join(',') + '\n'
    );
  }

  /** Current rows of a table, sorted, as the database should hold them. */
  currentRows(table: DataTableName | 'codes'): Row[] {
    const rows = table === 'codes' ? this.state.codes : [...this.state[table].values()].flat();
    return sortRows(rows);
  }
}

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

function e0(fresh: Partial<Record<DataTableName, Row[]>>[], table: DataTableName): Row | undefined {
  for (const e of fresh) if (e[table]?.[0]) return e[table][0];
  return undefined;
}

function emptyTables(): Record<DataTableName, Row[]> {
  return Object.fromEntries(KBO_TABLES.map((t) => [t.table, [] as Row[]])) as Record<DataTableName, Row[]>;
}

function sameRow(a: Row, b: Row): boolean {
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

/** A FULL numbered `base` and UPDATEs base+1..base+updates, with the model that made them. */
export function* generateSeries(opts: { enterprises: number; updates: number; base: number; seed: number; start?: string }) {
  const model = new RegisterModel(opts.seed);
  const start = opts.start ?? '2025-01-01';
  yield { model, extract: model.full(opts.base, opts.enterprises, start) };
  for (let i = 1; i <= opts.updates; i++) yield { model, extract: model.update(opts.base + i, addDays(start, i)) };
}
