/** A preview (dry run) says what applying a file would do, changes nothing, and is what Apply then does. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type GeneratedExtract } from '../../lib/generator/generator';
import { cronTick } from '../../lib/imports/drive/cron';
import { driveImport } from '../../lib/imports/drive/loop';
import { prepareImport } from '../../lib/imports/drive/prepare';
import { applyPreview, discardPreview } from '../../lib/imports/jobs/preview';
import { cancelImport } from '../../lib/imports/jobs/controls';
import { changePartsProgress } from '../../lib/imports/sql/changes';
import { getJobStatus } from '../../lib/imports/view/status';
import { DATA_TABLES, KBO_TABLES } from '../../lib/kbo/spec';
import { identList } from '../../lib/db/sql';
import { importChanges } from '../../lib/register';
import { rollbackImport } from '../helpers/answers';
import { freshDb, type TestDb } from '../helpers/db';
import { currentRows, importZip, refusal, tableChecksums } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** Prepare a preview of the extract and drive it to the end: it waits, previewed. */
async function preview(e: GeneratedExtract | { fileName: string; data: Uint8Array }, opts: { batchSize?: number; concurrency?: number } = {}) {
  const data = 'data' in e ? e.data : await zipExtract(e);
  const prepared = await prepareImport(t.db, { fileName: e.fileName, data, preview: true, batchSize: opts.batchSize });
  const s = await driveImport(t.db, { jobId: prepared.job.id, concurrency: opts.concurrency ?? 2, idleMs: 10 });
  expect(s.job.status).toBe('previewed');
  return s.job.id;
}

/** Apply a preview and drive the import to the end (its change list worked out). */
async function apply(jobId: number, concurrency = 2) {
  await applyPreview(t.db, { jobId });
  const s = await driveImport(t.db, { jobId, concurrency, idleMs: 10 });
  expect(s.job.status).toBe('completed');
  expect(s.job.preview).toBe(false);
  return s;
}

type Change = { t: string; n: string; change: string; started: number; ended: number };

/** Everything a preview says and an import did: rows per table and operation, rejected rows, the change list. */
async function whatItDoes(jobId: number) {
  const s = await getJobStatus(t.db, jobId);
  const tables = s.tables.map((x) => ({
    table: x.table,
    ops: x.operations.map((o) => ({ op: o.operation, rows: o.rows, inserted: o.inserted, ended: o.ended, unchanged: o.unchanged, duplicate: o.duplicate, noop: o.noop })),
  }));
  const errors = await t.db`select file, line, "column", value, code, message from import_errors where job_id = ${jobId} order by file, line, "column"`;
  const changes = [...(await t.db<Change[]>`select t, n, change, started, ended from import_changes where job_id = ${jobId}`)].sort((a, b) =>
    `${a.t}\u0000${a.n}`.localeCompare(`${b.t}\u0000${b.n}`),
  );
  const page = await importChanges(t.db, jobId, {});
  return {
    tables,
    totals: s.totals,
    rejected: s.rejected,
    errors: [...errors],
    changes,
    summary: page.summary,
    reissued: (await changePartsProgress(t.db, jobId)).reissued,
  };
}

/** The register holds exactly the model's current rows. */
async function expectModel(model: RegisterModel) {
  for (const table of DATA_TABLES) expect(await currentRows(t.db, table), table).toEqual(model.currentRows(table));
}

describe('a preview', () => {
  it('of a FULL, two UPDATEs and a resync says what Apply then does, exactly, and leaves the register as it was', async () => {
    const model = new RegisterModel(4101);
    const extracts: (() => GeneratedExtract)[] = [
      () => model.full(1, 150, '2025-04-01'),
      () => model.update(2, '2025-04-02', 0.2),
      () => model.update(3, '2025-04-03', 0.2),
      () => {
        model.drift(0.1);
        return model.snapshot(4, '2025-04-04');
      },
    ];
    for (const make of extracts) {
      const e = make();
      const before = await tableChecksums(t.db);
      const jobId = await preview(e, { batchSize: 40 });
      // Not one row changed, history and ids included.
      expect(await tableChecksums(t.db), `${e.fileName}: the register after its preview`).toEqual(before);
      const said = await whatItDoes(jobId);
      expect(said.changes.length, `${e.fileName} lists changes`).toBeGreaterThan(0);
      expect(said.totals.inserted).toBeGreaterThan(0);
      await apply(jobId);
      const did = await whatItDoes(jobId);
      expect(did, `${e.fileName}: what Apply did against what its preview said`).toEqual(said);
      await expectModel(model);
    }
  });

  it('of a file with rejected rows says which and why, as the import then does; the rows it would keep apply', async () => {
    const model = new RegisterModel(4102);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 80, '2025-04-01')));
    const update = model.update(2, '2025-04-02', 0.3);
    const bad = { ...update.files };
    const lines = (bad['enterprise_insert.csv'] as string).split('\n');
    // A date that is no date, and a number failing mod-97, on two added lines.
    bad['enterprise_insert.csv'] = [...lines.slice(0, -1), '"0200.000.044","AC","000","1","014","",01-01-2020', '"0200.000.043","AC","000","1","014","",31-02-2020', ''].join('\n');
    const data = await zipExtract({ ...update, files: bad });
    const before = await tableChecksums(t.db);
    const jobId = await preview({ fileName: update.fileName, data });
    expect(await tableChecksums(t.db)).toEqual(before);
    const said = await whatItDoes(jobId);
    expect(said.rejected).toBe(2);
    expect(said.errors.map((e) => e.message).join('\n')).toMatch(/mod-97[\s\S]*not a calendar date|not a calendar date[\s\S]*mod-97/);
    await apply(jobId);
    expect(await whatItDoes(jobId)).toEqual(said);
    await expectModel(model);
  });

  it('of a file the reject policy refuses is refused as its import would be, and changes nothing', async () => {
    const model = new RegisterModel(4103);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 40, '2025-04-01')));
    const update = model.update(2, '2025-04-02', 0.3);
    const files = { ...update.files, 'branch_insert.csv': '"Id","StartDate","EnterpriseNumber"\n"9.000.000.092",31-02-2025,"0200.000.043"\n' };
    const before = await tableChecksums(t.db);
    const err = await refusal(prepareImport(t.db, { fileName: update.fileName, data: await zipExtract({ ...update, files }), preview: true, onError: 'fail-fast' }));
    expect(err.message).toMatch(/branch_insert\.csv line 2, column StartDate: "31-02-2025" is not a calendar date/);
    expect(await tableChecksums(t.db)).toEqual(before);
  });

  it('does not hold up an import, and once the register moved on Apply is refused and the preview can be made again', async () => {
    const model = new RegisterModel(4104);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 60, '2025-04-01')));
    const update = model.update(2, '2025-04-02', 0.2);
    const data = await zipExtract(update);
    const first = await preview({ fileName: update.fileName, data });
    // The same file imported for real while the preview waits: nothing stops it.
    const real = await importZip(t.db, update.fileName, data);
    expect(real.job.status).toBe('completed');
    const moved = await refusal(applyPreview(t.db, { jobId: first }));
    expect(moved.code).toBe('CONFLICT');
    expect(moved.message).toMatch(new RegExp(`The register moved on since preview #${first} was made: import #${real.job.id} completed after it`));
    expect((await getJobStatus(t.db, first)).preview).toMatchObject({ head: real.job.id });
    // Rolled back, the register is again where the preview found it: the preview holds, and
    // applies from what it staged.
    await rollbackImport(t.db, { jobId: real.job.id });
    await apply(first);
    await expectModel(model);
    // A preview made on a register whose last import is then rolled back is refused too.
    const third = await preview(model.update(3, '2025-04-03', 0.2));
    await rollbackImport(t.db, { jobId: first });
    expect((await refusal(applyPreview(t.db, { jobId: third }))).message).toMatch(new RegExp(`import #${first} was rolled back`));
  });

  it('is discarded with its staging, by hand (Discard or Cancel) or once left alone past its time', async () => {
    const model = new RegisterModel(4105);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 60, '2025-04-01')));
    const update = model.update(2, '2025-04-02', 0.2);
    const staged = async (jobId: number) => {
      let n = 0;
      for (const spec of KBO_TABLES) n += (await t.db`select count(*)::int as n from ${t.db(spec.staging)} where job_id = ${jobId}`)[0]!.n as number;
      return n;
    };
    const a = await preview(update);
    expect(await staged(a)).toBeGreaterThan(0);
    expect(await discardPreview(t.db, { jobId: a })).toMatchObject({ status: 'discarded', moved: true });
    expect(await staged(a)).toBe(0);
    expect((await t.db`select count(*)::int as n from import_changes where job_id = ${a}`)[0]!.n).toBe(0);
    expect((await refusal(applyPreview(t.db, { jobId: a }))).message).toMatch(/it was discarded/);

    const b = await preview(update);
    expect(await cancelImport(t.db, { jobId: b })).toMatchObject({ status: 'discarded' });

    // Left alone: a day after it was worked out, the next cron tick drops it.
    const c = await preview(update);
    await t.db`update import_jobs set previewed_at = now() - interval '25 hours', created_at = now() - interval '26 hours' where id = ${c}`;
    expect((await refusal(applyPreview(t.db, { jobId: c }))).message).toMatch(/expired/);
    await cronTick(t.db, 1_000);
    const s = await getJobStatus(t.db, c);
    expect(s.job.status).toBe('discarded');
    expect(s.job.error?.message).toMatch(/^Preview expired: left alone for more than 24 hours/);
    expect(await staged(c)).toBe(0);
    // One still young is kept.
    const d = await preview(update);
    await cronTick(t.db, 1_000);
    expect((await getJobStatus(t.db, d)).job.status).toBe('previewed');
    await apply(d);
    await expectModel(model);
  });

  it('discarded, never drops the rows another job is staging at that moment in the same table', async () => {
    const model = new RegisterModel(4106);
    await importZip(t.db, 'full.zip', await zipExtract(model.full(1, 60, '2025-04-01')));
    const update = model.update(2, '2025-04-02', 0.3);
    const a = await preview(update);
    const b = await preview(update);
    const rows = async (jobId: number) => (await t.db`select count(*)::int as n from import_staging_enterprises where job_id = ${jobId}`)[0]!.n as number;
    const staged = await rows(b);
    expect(staged).toBeGreaterThan(0);
    // B's enterprises are being staged again, in a transaction still open (a prepare step in flight).
    await t.db`delete from import_staging_enterprises where job_id = ${b}`;
    let commit!: () => void;
    const open = new Promise<void>((r) => (commit = r));
    const step = t.db.begin(async (tx) => {
      const columns = ['batch_number', 'operation', 'line', ...KBO_TABLES.find((x) => x.table === 'enterprises')!.columns.map((c) => c.column)];
      await tx`insert into import_staging_enterprises (job_id, ${identList(tx, columns)}) select ${b}, ${identList(tx, columns)} from import_staging_enterprises where job_id = ${a}`;
      await open;
    });
    await new Promise((r) => setTimeout(r, 200));
    // A is discarded meanwhile: seen alone in the table, it would be truncated, B's step with it.
    const discarding = discardPreview(t.db, { jobId: a });
    await new Promise((r) => setTimeout(r, 300));
    commit();
    await step;
    await discarding;
    expect(await rows(a)).toBe(0);
    expect(await rows(b)).toBe(staged);
  });
});

