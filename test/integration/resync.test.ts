import JSZip from 'jszip';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addDays, RegisterModel, zipExtract, type GeneratedExtract } from '../../lib/generator/generator';
import { DATA_TABLES, PRIMARY_NAME_LANGUAGES } from '../../lib/kbo/spec';
import { PARTITIONS, partitionOf } from '../../lib/db/partitions';
import { rollbackImport } from '../helpers/answers';
import { processBatch } from '../helpers/answers';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { historyPage } from '../../lib/imports/view/history';
import { importReport } from '../../lib/imports/view/report';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, importZip, tableChecksums } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** A FULL 146 and UPDATEs 147, 148 imported: the live database a resync starts from. */
async function liveRegister(seed: number): Promise<RegisterModel> {
  const model = new RegisterModel(seed);
  const start = '2025-10-01';
  const extracts = [model.full(146, 250, start), model.update(147, addDays(start, 1), 0.05), model.update(148, addDays(start, 2), 0.05)];
  for (const e of extracts) expect((await importZip(t.db, e.fileName, await zipExtract(e))).job.status).toBe('completed');
  return model;
}

async function expectTablesToMatch(model: RegisterModel) {
  for (const table of [...DATA_TABLES, 'codes'] as const) {
    const actual = await currentRows(t.db, table);
    expect(actual.length, `${table} current row count`).toBe(model.currentRows(table).length);
    expect(actual, `${table} current rows`).toEqual(model.currentRows(table));
  }
}

async function rollBack(jobId: number) {
  let status = await rollbackImport(t.db, { jobId, budgetMs: 0 });
  while (status.job.status === 'rolling_back') status = (await processBatch(t.db, { jobId, budgetMs: 200 })).progress;
  return status;
}

describe('resync: a FULL imported into a database that holds data', () => {
  it('ends, inserts and leaves rows table by table; the counts are the known drift; a rollback restores the tables exactly', async () => {
    const model = await liveRegister(61);
    const before = await tableChecksums(t.db);

    // Extract 149 was missed and the register corrected rows upstream; FULL 150 says so.
    const drift = model.drift(0.04);
    const full = model.snapshot(150, '2025-10-05');
    for (const table of DATA_TABLES) expect(drift[table].ended + drift[table].inserted, `${table} drift`).toBeGreaterThan(0);

    const status = await importZip(t.db, full.fileName, await zipExtract(full), { concurrency: 3, batchSize: 40 });
    expect(status.job.status).toBe('completed');
    expect(status.job.mode).toBe('resync');
    await expectTablesToMatch(model);

    // Every table was compared in several key ranges, each its own batch.
    const activities = status.tables.find((x) => x.table === 'activities');
    expect(activities?.operations.map((o) => o.operation)).toEqual(['resync']);
    expect(activities?.batches).toBeGreaterThan(3);
    // A large table's ranges are cut within each partition (batch p + 32j: partition p), and each
    // partition's change-list parts cover its own keys; a small one's across the table.
    const cut = await t.db<{ table_name: string; within: number; across: number; astray: number; parts: number }[]>`
      select b.table_name, count(*) filter (where b.partition is not null)::int as within, count(*) filter (where b.partition is null)::int as across,
             count(*) filter (where b.partition <> b.batch_number % ${PARTITIONS})::int as astray,
             (select count(*) from import_change_parts p where p.job_id = b.job_id and p.table_name = b.table_name and p.partition is not null)::int as parts
      from import_job_batches b where b.job_id = ${status.job.id} and b.operation = 'resync' group by b.job_id, b.table_name`;
    const byTable = new Map(cut.map((c) => [c.table_name, c]));
    expect(byTable.get('activities')).toMatchObject({ across: 0, astray: 0 });
    expect(byTable.get('activities')?.within).toBeGreaterThan(PARTITIONS);
    expect(byTable.get('activities')?.parts).toBe(byTable.get('activities')?.within);
    expect(byTable.get('branches')).toMatchObject({ within: 0, across: expect.any(Number), parts: 0 });

    expect(status.drift).not.toBeNull();
    for (const table of DATA_TABLES) {
      expect(status.drift?.tables.find((x) => x.table === table), table).toEqual({ table, ...drift[table] });
    }
    const total = (k: 'ended' | 'inserted' | 'unchanged') => DATA_TABLES.reduce((s, x) => s + drift[x][k], 0);
    expect(status.drift).toMatchObject({ ended: total('ended'), inserted: total('inserted'), unchanged: total('unchanged') });
    expect(status.drift?.summary).toBe(
      `Drift corrected: ${total('ended').toLocaleString('en')} rows ended and ${total('inserted').toLocaleString('en')} inserted in 7 tables; ${total('unchanged').toLocaleString('en')} rows already matched the FULL.`,
    );
    // The FULL's one repeated line is a counted duplicate, not drift.
    expect(activities?.operations[0]?.duplicate).toBe(1);
    const report = await importReport(t.db, status.job.id);
    expect(report.job.mode).toBe('resync');
    expect(report.drift?.tables).toEqual(status.drift?.tables);
    // One source for each figure: the header's totals are the drift plus the codes (shown apart),
    // and the history and the report count the same rows.
    const codes = status.tables.find((x) => x.table === 'codes')?.operations.find((o) => o.operation === 'replace');
    for (const k of ['inserted', 'ended', 'unchanged'] as const) {
      expect(status.totals[k], k).toBe((status.drift?.[k] ?? 0) + (codes?.[k] ?? 0));
      expect(report.tables.reduce((s, r) => s + r[k], 0), k).toBe(status.totals[k]);
    }
    const [listed] = (await historyPage(t.db, { limit: 1 })).imports;
    expect(listed).toMatchObject({ id: status.job.id, inserted: status.totals.inserted, ended: status.totals.ended, unchanged: status.totals.unchanged });

    // Primary names follow the corrected denominations.
    const [names] = await t.db<{ wrong: number }[]>`
      select count(*)::int as wrong from enterprises e
      where e.is_current and e.primary_name is distinct from (
        select d.denomination from denominations d
        where d.entity_number = e.enterprise_number and d.is_current and d.type_of_denomination = '001'
        order by array_position(${PRIMARY_NAME_LANGUAGES}::text[], d.language) nulls last, d.denomination
        limit 1)`;
    expect(names?.wrong).toBe(0);

    expect((await rollBack(status.job.id)).job.status).toBe('rolled_back');
    expect(await tableChecksums(t.db)).toEqual(before);
  });

  it('handles a key out of order in a FULL file, a table the FULL leaves empty, and a partition of a large table it leaves empty', async () => {
    const model = await liveRegister(62);
    model.drift(0.02);
    model.state.branches.clear();
    // Every activity of partition 7's entities gone from the FULL: that partition's first batch,
    // made before any row was read, ends them.
    const gone = [...model.state.activities.keys()].filter((k) => partitionOf(k) === 7);
    expect(gone.length).toBeGreaterThan(0);
    for (const k of gone) model.state.activities.delete(k);
    const full = model.snapshot(149, '2025-10-04');
    // A file not in key order: its keys still land in the batch whose range holds them.
    const lines = (full.files['activity.csv'] as string).trimEnd().split('\n');
    full.files['activity.csv'] = [lines[0], ...lines.slice(1).reverse()].join('\n') + '\n';
    const ended = (await currentRows(t.db, 'branches')).length;
    expect(ended).toBeGreaterThan(0);

    const status = await importZip(t.db, full.fileName, await zipExtract(full), { concurrency: 2, batchSize: 25 });
    expect(status.job.status).toBe('completed');
    await expectTablesToMatch(model);
    expect(status.drift?.tables.find((x) => x.table === 'branches')).toEqual({ table: 'branches', ended, inserted: 0, unchanged: 0 });
    const [cut] = await t.db<{ within: number }[]>`
      select count(*)::int as within from import_job_batches where job_id = ${status.job.id} and table_name = 'activities' and partition is not null`;
    expect(cut?.within).toBeGreaterThanOrEqual(PARTITIONS);
    const [left] = await t.db<{ n: number }[]>`select count(*)::int as n from activities_p07 where is_current`;
    expect(left?.n).toBe(0);
  });

  it('refuses a FULL older than the last applied extract, and updates carry on after a resync', async () => {
    const model = await liveRegister(63);
    const older = model.snapshot(147, '2025-10-02');
    await expect(prepareImport(t.db, { fileName: older.fileName, data: await zipExtract(older) })).rejects.toThrow(
      'FULL 147 is older than extract 148, which is already applied; a resync only moves the register forward. Import a FULL numbered 149 or later.',
    );
    const same = model.snapshot(148, '2025-10-03');
    await expect(prepareImport(t.db, { fileName: same.fileName, data: await zipExtract(same) })).rejects.toThrow('Extract 148 was already applied');

    const full = model.snapshot(149, '2025-10-04');
    const resync = await importZip(t.db, full.fileName, await zipExtract(full));
    // Nothing drifted: every row already matched.
    expect(resync.drift).toMatchObject({ ended: 0, inserted: 0 });
    expect(resync.drift?.summary).toMatch(/^Drift corrected: none; all [\d,]+ rows already matched the FULL\.$/);

    const next: GeneratedExtract = model.update(150, '2025-10-05');
    const update = await importZip(t.db, next.fileName, await zipExtract(next));
    expect(update.job.status).toBe('completed');
    await expectTablesToMatch(model);
  });

  it('resyncs a FULL whose zip lists its files in another order', async () => {
    const model = await liveRegister(64);
    model.drift(0.02);
    const full = model.snapshot(149, '2025-10-04');
    const zip = new JSZip();
    for (const name of Object.keys(full.files).reverse()) zip.file(name, full.files[name] as string);
    const status = await importZip(t.db, full.fileName, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }), { batchSize: 30 });
    expect(status.job.status).toBe('completed');
    await expectTablesToMatch(model);
  });
});
