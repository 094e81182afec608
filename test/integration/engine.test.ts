import { createHash } from 'node:crypto';
import JSZip from 'jszip';
import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSeries, RegisterModel, zipExtract, type Row } from '../../lib/generator/generator';
import { CODE_TABLE, DATA_TABLES, KBO_TABLES, type ColumnSpec } from '../../lib/kbo/spec';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, fixtureZip, importZip } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** The expected effect of an extract, computed from its CSV text alone (not by the engine). */
async function applyToModel(model: RegisterModel, zip: Buffer): Promise<void> {
  const files = await JSZip.loadAsync(zip);
  const read = async (name: string, columns: ColumnSpec[]): Promise<Row[]> => {
    const text = await (files.file(name) as JSZip.JSZipObject).async('string');
    const data = Papa.parse<string[]>(text, { skipEmptyLines: true }).data.slice(1);
    return data.map((fields) =>
      columns.map((c, i) => {
        const v = fields[i] ?? '';
        if (v === '') return null;
        if (c.kind === 'date') return v.split('-').reverse().join('-');
        return v;
      }),
    );
  };
  for (const spec of KBO_TABLES) {
    const state = model.state[spec.table];
    for (const [key] of await read(`${spec.file}_delete.csv`, [spec.columns[0] as ColumnSpec])) state.delete(key as string);
    for (const row of await read(`${spec.file}_insert.csv`, spec.columns)) {
      const rows = state.get(row[0] as string) ?? [];
      if (!rows.some((r) => JSON.stringify(r) === JSON.stringify(row))) rows.push(row);
      state.set(row[0] as string, rows);
    }
  }
  model.state.codes = await read('code.csv', CODE_TABLE.columns);
}

async function expectTablesToMatch(model: RegisterModel) {
  for (const table of [...DATA_TABLES, 'codes'] as const) {
    const actual = await currentRows(t.db, table);
    expect(actual.length, `${table} current row count`).toBe(model.currentRows(table).length);
    expect(actual, `${table} current rows`).toEqual(model.currentRows(table));
  }
}

describe('import engine on a real PostgreSQL', () => {
  it('keeps staging in WAL-logged tables, so a PostgreSQL crash keeps every committed step (the kill test crashes it)', async () => {
    const tables = await t.db<{ relname: string; relpersistence: string }[]>`
      select relname, relpersistence from pg_class where relname like 'import_staging_%' and relkind = 'r' order by relname`;
    expect(tables).toHaveLength(8);
    expect(tables.filter((r) => r.relpersistence !== 'p')).toEqual([]);
  });

  it('reads the real extract from the repository, byte for byte as published', () => {
    // test/fixtures/kbo/README.md gives the same sha256.
    expect(createHash('sha256').update(fixtureZip()).digest('hex')).toBe('61b596aa43208bedf3601efddac79916a6f136edfd802168be8bdd0df77397e6');
  });

  it('applies the real update extract 147 on top of a generated FULL 146', async () => {
    const [{ model, extract }] = [...generateSeries({ enterprises: 300, updates: 0, base: 146, seed: 3 })] as [
      { model: RegisterModel; extract: Parameters<typeof zipExtract>[0] },
    ];
    const full = await importZip(t.db, extract.fileName, await zipExtract(extract));
    expect(full.job.status).toBe('completed');

    const zip = fixtureZip();
    const status = await importZip(t.db, 'KboOpenData_0147_2025_10_12_Update.zip', zip, { concurrency: 3 });
    expect(status.job.status).toBe('completed');
    expect(status.job.extractNumber).toBe(147);

    // Rows staged per file are exactly the fixture's (see test/fixtures/kbo/README.md).
    const files = (status.job.counts as { files: Record<string, number> }).files;
    expect(files).toMatchObject({
      'enterprise_delete.csv': 162, 'enterprise_insert.csv': 28,
      'establishment_delete.csv': 14, 'establishment_insert.csv': 22,
      'denomination_delete.csv': 172, 'denomination_insert.csv': 53,
      'address_delete.csv': 53, 'address_insert.csv': 68,
      'contact_delete.csv': 24, 'contact_insert.csv': 40,
      'activity_delete.csv': 42, 'activity_insert.csv': 425,
      'branch_delete.csv': 0, 'branch_insert.csv': 0,
      'code.csv': 21_500,
    });
    // None of the real keys exist in the generated base: every delete is a counted no-op.
    const enterprises = status.tables.find((x) => x.table === 'enterprises');
    expect(enterprises?.operations.find((o) => o.operation === 'delete')?.noop).toBe(162);
    expect(enterprises?.operations.find((o) => o.operation === 'insert')?.inserted).toBe(28);

    await applyToModel(model, zip);
    await expectTablesToMatch(model);

    // Values from the real dialect land exactly: a quoted comma, a date, NULL for ,, and "".
    const [person] = await t.db`
      select e.start_date, e.juridical_form, e.primary_name from enterprises e where e.enterprise_number = '0552.627.113' and e.is_current`;
    expect(person).toEqual({ start_date: '2025-09-15', juridical_form: null, primary_name: 'Callebaut, Brenda' });
  });

  it('leaves every table equal to the model after a FULL and 5 UPDATEs', async () => {
    let model: RegisterModel | undefined;
    for (const step of generateSeries({ enterprises: 400, updates: 5, base: 10, seed: 11 })) {
      model = step.model;
      const status = await importZip(t.db, step.extract.fileName, await zipExtract(step.extract), { concurrency: 3, batchSize: 150 });
      expect(status.job.status, `extract ${step.extract.number}`).toBe('completed');
      if (step.extract.type === 'update') {
        expect(status.totals.noop).toBeGreaterThan(0);
        expect(status.totals.unchanged).toBeGreaterThan(0);
        expect(status.totals.duplicate).toBeGreaterThan(0);
        expect(status.totals.ended).toBeGreaterThan(0);
      }
    }
    await expectTablesToMatch(model as RegisterModel);

    // History: ended rows are kept, each naming the import that ended it.
    const [history] = await t.db`
      select count(*) filter (where not is_current)::int as ended,
             count(*) filter (where not is_current and deleted_at_extract is null)::int as unattributed,
             count(*) filter (where is_current and deleted_at_extract is not null)::int as contradictory
      from activities`;
    expect(history?.ended).toBeGreaterThan(0);
    expect(history?.unattributed).toBe(0);
    expect(history?.contradictory).toBe(0);

    // Every current enterprise with an official name has it as its primary name.
    const [names] = await t.db`
      select count(*)::int as missing from enterprises e
      where e.is_current and e.primary_name is null
        and exists (select 1 from denominations d where d.entity_number = e.enterprise_number and d.is_current and d.type_of_denomination = '001')`;
    expect(names?.missing).toBe(0);
  });
});
