import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type GeneratedExtract, type Row } from '../../lib/generator/generator';
import { DATA_TABLES, tableSpec, type ColumnSpec, type DataTableName } from '../../lib/kbo/spec';
import { ident } from '../../lib/db/sql';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { firstRowErrors } from '../../lib/imports/sql/errors';
import { rollbackImport } from '../helpers/answers';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, importZip, refusal, tableChecksums } from '../helpers/import';

/**
 * Enterprises, establishments and branches hold one row per key: whatever a file says and
 * whichever path it takes, a key is never current twice (issue: one current row per key).
 */

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

const ONE_ROW: DataTableName[] = ['enterprises', 'establishments', 'branches'];

/** Keys current more than once, over the three one-row tables. */
async function keysCurrentTwice(): Promise<string[]> {
  const sql = t.db;
  const out: string[] = [];
  for (const table of ONE_ROW) {
    const key = tableSpec(table).key;
    const rows = await sql<{ k: string }[]>`
      select ${ident(sql, key)} as k from ${ident(sql, table)} where is_current group by 1 having count(*) > 1`;
    out.push(...rows.map((r) => `${table} ${r.k}`));
  }
  return out;
}

async function expectRegisterToMatch(model: RegisterModel) {
  for (const table of DATA_TABLES) expect(await currentRows(t.db, table), `${table} current rows`).toEqual(model.currentRows(table));
  expect(await keysCurrentTwice()).toEqual([]);
}

/** A CSV line in the register's dialect, for a row of `table`. */
function line(table: DataTableName, row: Row): string {
  return (
    tableSpec(table)
      .columns.map((c: ColumnSpec, i) => {
        const v = row[i] ?? null;
        if (v === null) return '';
        if (c.kind === 'date') return v.split('-').reverse().join('-');
        return `"${v.replaceAll('"', '""')}"`;
      })
      .join(',') + '\n'
  );
}

/** The row changed in one value a one-row table's rows have (status, or the start date). */
function changed(table: DataTableName, row: Row): Row {
  const out = [...row];
  if (table === 'enterprises') out[1] = out[1] === 'ST' ? 'AC' : 'ST';
  else out[1] = out[1] === '2001-02-03' ? '2002-03-04' : '2001-02-03';
  return out;
}

function fileOf(table: DataTableName, kind: 'full' | 'insert' | 'delete'): string {
  return `${tableSpec(table).file}${kind === 'full' ? '' : `_${kind}`}.csv`;
}

/** Keys of `table` current in the model that the UPDATE neither deletes nor inserts. */
function untouchedKeys(model: RegisterModel, update: GeneratedExtract, table: DataTableName): string[] {
  const listed = (update.files[fileOf(table, 'delete')] as string) + (update.files[fileOf(table, 'insert')] as string);
  return [...model.state[table].keys()].filter((k) => !listed.includes(`"${k}"`));
}

/** A FULL 146 of `size` enterprises and its UPDATE 147, the FULL imported. */
async function registerAnd147(size: number, seed: number) {
  const model = new RegisterModel(seed);
  const full = model.full(146, size, '2025-10-01');
  expect((await importZip(t.db, full.fileName, await zipExtract(full))).job.status).toBe('completed');
  const update = model.update(147, '2025-10-02', 0.05);
  return { model, update };
}

/** Appends to an UPDATE's insert file of each one-row table a current key with other values; returns [file, line, key]. */
function insertCurrentKeys(model: RegisterModel, update: GeneratedExtract): [string, number, string][] {
  const added: [string, number, string][] = [];
  for (const table of ONE_ROW) {
    const key = untouchedKeys(model, update, table)[0];
    if (!key) continue;
    const file = fileOf(table, 'insert');
    const row = (model.state[table].get(key) as Row[])[0] as Row;
    update.files[file] += line(table, changed(table, row));
    added.push([file, (update.files[file] as string).split('\n').length - 1, key]);
  }
  return added;
}

describe('an UPDATE that inserts a key the register holds as current, without ending it', () => {
  it('continue: the row is rejected with its file, line and key, the rest applies, and the key stays current once', async () => {
    const { model, update } = await registerAnd147(300, 241);
    const added = insertCurrentKeys(model, update);
    expect(added.map(([f]) => f)).toEqual(['enterprise_insert.csv', 'establishment_insert.csv', 'branch_insert.csv']);
    // An insert identical to the current row stays a counted no-change, not a rejection.
    const same = untouchedKeys(model, update, 'enterprises')[1] as string;
    update.files['enterprise_insert.csv'] += line('enterprises', (model.state.enterprises.get(same) as Row[])[0] as Row);

    const status = await importZip(t.db, update.fileName, await zipExtract(update), { concurrency: 3, batchSize: 10 });
    expect(status.job.status).toBe('completed');
    expect(status.rejected).toBe(3);
    await expectRegisterToMatch(model);
    const errors = await firstRowErrors(t.db, status.job.id);
    expect(errors.map((e) => [e.file, e.line, e.value, e.code])).toEqual(added.map(([f, l, k]) => [f, l, k, 'KEY_CURRENT']));
    expect(errors[0]?.message).toBe(
      `enterprise_insert.csv line ${added[0]?.[1]}: EnterpriseNumber ${added[0]?.[2]} is already current in the register with other values, and enterprise_delete.csv does not end it, so it would be current twice; the row is rejected. Is this update meant for the register as it stands (its previous extract)?`,
    );
    const enterprises = status.tables.find((x) => x.table === 'enterprises')?.operations.find((o) => o.operation === 'insert');
    expect(enterprises?.unchanged).toBe(1);
    expect(status.baseWarning).toContain('3 rows of this update insert a key');
  });

  it('fail-fast: the file is refused, naming it, the line and the key, and the register does not change', async () => {
    const { model, update } = await registerAnd147(200, 242);
    const [[file, lineNo, key]] = insertCurrentKeys(model, update) as [[string, number, string]];
    const before = await tableChecksums(t.db);
    const err = await refusal(prepareImport(t.db, { fileName: update.fileName, data: await zipExtract(update), onError: 'fail-fast' }));
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toContain(`${file} line ${lineNo}: EnterpriseNumber ${key} is already current in the register`);
    expect((err.details as { errors: { code: string }[] }).errors[0]?.code).toBe('KEY_CURRENT');
    const jobId = (err.details as { jobId: number }).jobId;
    expect((await firstRowErrors(t.db, jobId)).map((e) => e.code)).toContain('KEY_CURRENT');
    expect(await tableChecksums(t.db)).toEqual(before);
  });

  it('continue with maxRejected: such rows count toward the threshold', async () => {
    const { model, update } = await registerAnd147(200, 243);
    insertCurrentKeys(model, update);
    const before = await tableChecksums(t.db);
    const err = await refusal(prepareImport(t.db, { fileName: update.fileName, data: await zipExtract(update), maxRejected: 2 }));
    expect(err.message).toContain('3 rows were rejected, more than the 2 allowed');
    expect(await tableChecksums(t.db)).toEqual(before);
  });
});

describe('a file that lists one key twice with other values keeps its first row', () => {
  it('an UPDATE: the repeat next to it and one far out of key order are both rejected', async () => {
    const { model, update } = await registerAnd147(200, 244);
    const file = 'enterprise_insert.csv';
    const lines = (update.files[file] as string).split('\n');
    const [first, second] = [lines[1] as string, lines[2] as string];
    const firstRow = model.state.enterprises.get(first.split(',')[0]?.replaceAll('"', '') as string)?.[0] as Row;
    const secondRow = model.state.enterprises.get(second.split(',')[0]?.replaceAll('"', '') as string)?.[0] as Row;
    // Right after the key's first row (a sorted file), and at the very end (out of order).
    lines.splice(2, 0, line('enterprises', changed('enterprises', firstRow)).trimEnd());
    update.files[file] = lines.join('\n') + line('enterprises', changed('enterprises', secondRow));
    const status = await importZip(t.db, update.fileName, await zipExtract(update), { concurrency: 2, batchSize: 7 });
    expect(status.job.status).toBe('completed');
    await expectRegisterToMatch(model);
    const errors = await firstRowErrors(t.db, status.job.id);
    expect(errors.map((e) => [e.file, e.line, e.code])).toEqual([
      [file, 3, 'REPEATED_KEY'],
      [file, update.files[file].split('\n').length - 1, 'REPEATED_KEY'],
    ]);
    expect(errors[0]?.message).toContain('is already listed earlier in this file with other values');
  });

  it('a FULL into a register that holds data (resync): one current row per key, the repeats rejected', async () => {
    const model = new RegisterModel(245);
    const extracts = [model.full(146, 250, '2025-10-01'), model.update(147, '2025-10-02', 0.05)];
    for (const e of extracts) expect((await importZip(t.db, e.fileName, await zipExtract(e))).job.status).toBe('completed');
    model.drift(0.03);
    const full = model.snapshot(150, '2025-10-05');
    for (const table of ONE_ROW) {
      const key = [...model.state[table].keys()].sort()[3] as string;
      const row = (model.state[table].get(key) as Row[])[0] as Row;
      const lines = (full.files[fileOf(table, 'full')] as string).split('\n');
      const at = lines.findIndex((l) => l.startsWith(`"${key}"`));
      lines.splice(at + 1, 0, line(table, changed(table, row)).trimEnd());
      full.files[fileOf(table, 'full')] = lines.join('\n');
    }
    // And one out of key order, at the end of the establishment file.
    const last = [...model.state.establishments.keys()].sort()[0] as string;
    full.files['establishment.csv'] += line('establishments', changed('establishments', (model.state.establishments.get(last) as Row[])[0] as Row));

    const status = await importZip(t.db, full.fileName, await zipExtract(full), { concurrency: 3, batchSize: 40 });
    expect(status.job.status).toBe('completed');
    expect(status.job.mode).toBe('resync');
    await expectRegisterToMatch(model);
    const errors = await firstRowErrors(t.db, status.job.id);
    expect(errors.map((e) => [e.file, e.code]).sort()).toEqual(
      [['branch.csv'], ['enterprise.csv'], ['establishment.csv'], ['establishment.csv']].map(([f]) => [f, 'REPEATED_KEY']),
    );
  });

  it('a FULL into an empty register: repeats in key order and out of it, across chunks, rejected; an exact repeat counted', async () => {
    const model = new RegisterModel(246);
    // Over 512 KB of enterprises: the file is read in more than one chunk.
    const full = model.full(146, 14_000, '2025-10-01');
    const keys = [...model.state.enterprises.keys()].sort();
    const row = (k: string) => (model.state.enterprises.get(k) as Row[])[0] as Row;
    const lines = (full.files['enterprise.csv'] as string).split('\n');
    lines.splice(2, 0, line('enterprises', changed('enterprises', row(keys[0] as string))).trimEnd());
    full.files['enterprise.csv'] =
      lines.join('\n') + line('enterprises', changed('enterprises', row(keys[5] as string))) + line('enterprises', row(keys[6] as string));
    const estKey = [...model.state.establishments.keys()].sort()[2] as string;
    full.files['establishment.csv'] += line('establishments', changed('establishments', (model.state.establishments.get(estKey) as Row[])[0] as Row));

    const status = await importZip(t.db, full.fileName, await zipExtract(full), { concurrency: 2 });
    expect(status.job.status).toBe('completed');
    expect(status.job.mode).toBe('initial');
    await expectRegisterToMatch(model);
    // Found in either order (the two files prepare concurrently); compared by file and line.
    const errors = (await firstRowErrors(t.db, status.job.id)).sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
    expect(errors.map((e) => [e.file, e.line, e.value, e.code])).toEqual([
      ['enterprise.csv', 3, keys[0], 'REPEATED_KEY'],
      ['enterprise.csv', lines.length, keys[5], 'REPEATED_KEY'],
      ['establishment.csv', (full.files['establishment.csv'] as string).split('\n').length - 1, estKey, 'REPEATED_KEY'],
    ]);
    const enterprises = status.tables.find((x) => x.table === 'enterprises');
    expect(enterprises?.operations.reduce((s, o) => s + o.duplicate, 0)).toBe(1);
    // Named at finalize, since the file was out of key order.
    const [named] = await t.db<{ n: number }[]>`select count(*)::int as n from enterprises where is_current and primary_name is not null`;
    expect(named?.n).toBe(14_000);
  });
});

describe('the database and the undo keep the rule', () => {
  it('a unique index refuses a second current row in each one-row table', async () => {
    const model = new RegisterModel(247);
    const full = model.full(146, 300, '2025-10-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const sql = t.db;
    for (const table of ONE_ROW) {
      const spec = tableSpec(table);
      const [key] = model.state[table].keys();
      const err = await sql`insert into ${ident(sql, table)} (${ident(sql, spec.key)}, extract_number) values (${key as string}, 1)`.catch((e: unknown) => e);
      expect((err as { code?: string }).code, table).toBe('23505');
    }
  });

  it('a rollback that would revive a row while another row of its key is current is refused, naming the key', async () => {
    const { update } = await registerAnd147(200, 248);
    const struck = (update.files['enterprise_delete.csv'] as string).split('\n').slice(1).map((l) => l.replaceAll('"', '')).filter((k) => k && !(update.files['enterprise_insert.csv'] as string).includes(`"${k}"`));
    const status = await importZip(t.db, update.fileName, await zipExtract(update));
    expect(status.job.status).toBe('completed');
    const key = struck[0] as string;
    // Something other than this import made the struck-off enterprise current again.
    const sql = t.db;
    await sql`insert into enterprises (enterprise_number, status, extract_number) values (${key}, 'AC', 146)`;
    const before = await tableChecksums(t.db);
    const err = await refusal(rollbackImport(t.db, { jobId: status.job.id }));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.message).toContain(`enterprises ${key} (current since extract 146)`);
    expect(await tableChecksums(t.db)).toEqual(before);
    expect(await keysCurrentTwice()).toEqual([]);
  });

  it('an update that modified enterprises rolls back exactly under the unique index', async () => {
    const { update } = await registerAnd147(300, 249);
    const before = await tableChecksums(t.db);
    const status = await importZip(t.db, update.fileName, await zipExtract(update));
    const undone = await rollbackImport(t.db, { jobId: status.job.id, budgetMs: 60_000 });
    expect(undone.job.status).toBe('rolled_back');
    const after = await tableChecksums(t.db);
    for (const table of [...DATA_TABLES, 'codes']) {
      // Rows the update inserted are gone; the ones it ended are current again, ids and all.
      expect(after[table], table).toBe(before[table]);
    }
  });

  it('the check before the unique index names the keys a register already holds twice', async () => {
    const sql = t.db;
    await sql`drop index enterprises_current_key_idx`;
    await sql`insert into enterprises (enterprise_number, status, extract_number) values ('0200.065.765', 'AC', 1), ('0200.065.765', 'ST', 2)`;
    const check = readFileSync(path.resolve(import.meta.dirname, '../../drizzle/0016_one_current_row_check.sql'), 'utf8');
    const err = (await sql.unsafe(check).catch((e: unknown) => e)) as { message?: string };
    expect(err.message).toContain('enterprises 0200.065.765 (2 current rows)');
  });
});
