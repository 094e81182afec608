import { CODE_TABLE, KBO_TABLES, type ColumnSpec, type DataTableName, type ExtractType } from '../kbo/spec';
import { formatEnterprise, withMod97 } from '../kbo/values';
import { addDays, byKey, csvFile, csvLine, extractOf, headerLine, keyRun, lineKey, sameRow, sortRows, type GeneratedExtract, type Row } from './dialect';
import { drift, type DriftCounts, type TableState } from './drift';
import { Inventor } from './inventor';

export { addDays, byKey, headerLine, keyRun, lineKey, sortRows, zipExtract, type GeneratedExtract, type Row } from './dialect';
export { prng } from './inventor';

/**
 * A seeded, deterministic model of the register that writes KBO-format FULL and UPDATE zips
 * in the real dialect (quoted text, unquoted dd-mm-yyyy dates, `,,` and `""` empties, quoted
 * commas and `""` escapes, establishment numbers as EntityNumber, keys both deleted and
 * inserted) and keeps the state an import of those zips must produce.
 */
export type ModelState = Record<DataTableName, TableState> & { codes: Row[] };

export class RegisterModel {
  readonly state: ModelState;
  readonly make: Inventor;

  constructor(seed: number) {
    this.make = new Inventor(seed);
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

  /** All rows of one new enterprise (and its establishments and branches), per table. */
  newEnterprise(): Partial<Record<DataTableName, Row[]>> {
    return this.make.newEnterprise();
  }

  /** Adds rows to the state, each unless an identical row of its key is there. */
  add(table: DataTableName, rows: Row[]): void {
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
    this.state.codes = this.make.codes(number);
    return this.finish('full', number, snapshotDate, { 'code.csv': this.csv(CODE_TABLE.columns, this.state.codes) });
  }

  /** The code table, meta and empty files of an UPDATE numbered `number` that changes activities only, written elsewhere (`writeFullZip` with `nace`). */
  updateFrame(number: number, snapshotDate: string): GeneratedExtract {
    this.state.codes = this.make.codes(number);
    const files: Record<string, string> = { 'code.csv': this.csv(CODE_TABLE.columns, this.state.codes) };
    for (const t of KBO_TABLES.filter((x) => x.table !== 'activities')) {
      files[`${t.file}_delete.csv`] = headerLine(t.columns.slice(0, 1));
      files[`${t.file}_insert.csv`] = headerLine(t.columns);
    }
    return this.finish('update', number, snapshotDate, files);
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
        const k = this.make.pick(enterprises);
        if (!chosen.has(k)) return chosen.add(k), k;
      }
      return undefined;
    };

    for (let i = 0; i < size; i++) {
      for (const [t, rows] of Object.entries(this.newEnterprise())) inserts[t as DataTableName].push(...rows);
    }
    const establishmentsOf = this.establishmentsByEnterprise();
    for (let i = 0; i < Math.max(1, size >> 1); i++) {
      const n = choose();
      if (!n) continue;
      // An enterprise struck off: its rows end in every table, its establishments too.
      const entities = [n, ...(establishmentsOf.get(n) ?? [])];
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
      inserts.enterprises.push([n, 'AC', this.make.pick(['000', '012', '030']), old[3] ?? null, old[4] ?? null, null, old[6] ?? null]);
      deletes.activities.push(n);
      inserts.activities.push(...this.make.activitiesFor(n, this.make.int(1, 5)));
      if (this.make.rnd() < 0.5) {
        deletes.denominations.push(n);
        inserts.denominations.push([n, '2', '001', this.make.name()]);
      }
      if (this.make.rnd() < 0.5) {
        deletes.addresses.push(n);
        inserts.addresses.push(this.make.addressFor(n, 'REGO'));
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
    this.state.codes = this.make.codes(number);
    const files: Record<string, string> = { 'code.csv': this.csv(CODE_TABLE.columns, this.state.codes) };
    for (const t of KBO_TABLES) {
      files[`${t.file}_delete.csv`] = this.csv([t.columns[0] as ColumnSpec], deletes[t.table].map((k) => [k]));
      files[`${t.file}_insert.csv`] = this.csv(t.columns, inserts[t.table]);
    }
    return this.finish('update', number, snapshotDate, files);
  }

  /**
   * Each enterprise's establishments, in the model's order: looked up rather than searched for
   * every enterprise an UPDATE strikes off (that search made busy's UPDATE take minutes).
   */
  private establishmentsByEnterprise(): Map<string, string[]> {
    const of = new Map<string, string[]>();
    for (const r of [...this.state.establishments.values()].flat()) {
      const list = of.get(r[2] as string);
      if (list) list.push(r[0] as string);
      else of.set(r[2] as string, [r[0] as string]);
    }
    return of;
  }

  /**
   * A FULL of the model's state as it stands, what the register publishes every day beside
   * its UPDATE: every current row, in key order, and (like `full`) one exact duplicate line.
   */
  snapshot(number: number, snapshotDate: string): GeneratedExtract {
    this.state.codes = this.make.codes(number);
    const files: Record<string, string> = { 'code.csv': this.csv(CODE_TABLE.columns, this.state.codes) };
    for (const t of KBO_TABLES) {
      const rows = [...this.state[t.table].values()].flat().sort((a, b) => byKey(a[0] as string, b[0] as string));
      if (t.table === 'activities' && rows[0]) rows.splice(1, 0, [...rows[0]]);
      files[`${t.file}.csv`] = this.csv(t.columns, rows);
    }
    return this.finish('full', number, snapshotDate, files);
  }

  drift(share = 0.01): DriftCounts {
    return drift(this, share);
  }

  private finish(type: ExtractType, number: number, snapshotDate: string, data: Record<string, string>): GeneratedExtract {
    return extractOf(type, number, snapshotDate, data);
  }

  private csv(columns: ColumnSpec[], rows: Row[]): string {
    return csvFile(columns, rows, this.make.rnd);
  }

  private line(columns: ColumnSpec[], row: Row): string {
    return csvLine(columns, row, this.make.rnd);
  }

  /** Current rows of a table, sorted, as the database should hold them. */
  currentRows(table: DataTableName | 'codes'): Row[] {
    const rows = table === 'codes' ? this.state.codes : [...this.state[table].values()].flat();
    return sortRows(rows);
  }
}

function emptyTables(): Record<DataTableName, Row[]> {
  return Object.fromEntries(KBO_TABLES.map((t) => [t.table, [] as Row[]])) as Record<DataTableName, Row[]>;
}


/** A FULL numbered `base` and UPDATEs base+1..base+updates, with the model that made them. */
export function* generateSeries(opts: { enterprises: number; updates: number; base: number; seed: number; start?: string }) {
  const model = new RegisterModel(opts.seed);
  const start = opts.start ?? '2025-01-01';
  yield { model, extract: model.full(opts.base, opts.enterprises, start) };
  for (let i = 1; i <= opts.updates; i++) yield { model, extract: model.update(opts.base + i, addDays(start, i)) };
}
