import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type Row } from '../../lib/generator/generator';
import { KBO_TABLES, type DataTableName } from '../../lib/kbo/spec';
import { importChanges, importChangesCsv, type EntityChange } from '../../lib/register';
import { driveImport } from '../../lib/imports/drive/loop';
import { rollbackImport } from '../helpers/answers';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip, refusal } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

type Snapshot = Record<DataTableName, Row[]>;
const snapshot = (model: RegisterModel): Snapshot => Object.fromEntries(KBO_TABLES.map((k) => [k.table, model.currentRows(k.table)])) as Snapshot;

/** The change list the model implies: per table and key, the difference between two states. */
function expectedChanges(before: Snapshot, after: Snapshot): EntityChange[] {
  const out: EntityChange[] = [];
  for (const { table } of KBO_TABLES) {
    const group = (rows: Row[]) => {
      const m = new Map<string, string[]>();
      for (const r of rows) m.set(r[0] as string, [...(m.get(r[0] as string) ?? []), JSON.stringify(r)]);
      return m;
    };
    const [was, is] = [group(before[table]), group(after[table])];
    for (const n of [...new Set([...was.keys(), ...is.keys()])].sort()) {
      const a = [...(was.get(n) ?? [])];
      const b = [...(is.get(n) ?? [])];
      const minus = (x: string[], y: string[]) => {
        const left = [...y];
        return x.filter((r) => {
          const i = left.indexOf(r);
          return i >= 0 ? (left.splice(i, 1), false) : true;
        });
      };
      const started = minus(b, a).length;
      const ended = minus(a, b).length;
      if (!started && !ended) continue;
      out.push({ table, number: n, change: a.length === 0 ? 'added' : b.length === 0 ? 'ended' : 'modified', started, ended });
    }
  }
  return out;
}

async function allChanges(jobId: number, filter: { table?: string; change?: string; number?: string } = {}): Promise<EntityChange[]> {
  const out: EntityChange[] = [];
  for (let page = 1; ; page++) {
    const p = await importChanges(t.db, jobId, { ...filter, page });
    out.push(...p.changes);
    if (!p.hasMore) return out;
  }
}

async function csvOf(jobId: number, filter = {}): Promise<string> {
  let text = '';
  for await (const chunk of importChangesCsv(t.db, jobId, filter)) text += chunk;
  return text;
}

describe('what an import changed', () => {
  it('is, for each UPDATE and for a resync, exactly the difference between the model before and after it; the CSV says the same', async () => {
    const model = new RegisterModel(1603);
    const full = model.full(146, 250, '2025-10-01');
    const first = await importZip(t.db, full.fileName, await zipExtract(full));
    const states: Snapshot[] = [snapshot(model)];
    const jobs: number[] = [];
    for (const [x, day] of [[147, '2025-10-02'], [148, '2025-10-03']] as const) {
      const update = model.update(x, day, 0.2);
      jobs.push((await importZip(t.db, update.fileName, await zipExtract(update))).job.id);
      states.push(snapshot(model));
    }
    // Update 149 is never imported: the FULL 150 that follows finds its changes as drift.
    model.update(149, '2025-10-04', 0.2);
    const resync = model.snapshot(150, '2025-10-05');
    const resynced = await importZip(t.db, resync.fileName, await zipExtract(resync));
    expect(resynced.job.mode).toBe('resync');
    jobs.push(resynced.job.id);
    states.push(snapshot(model));

    for (const [i, jobId] of jobs.entries()) {
      const expected = expectedChanges(states[i] as Snapshot, states[i + 1] as Snapshot);
      expect(expected.filter((c) => c.change === 'added').length).toBeGreaterThan(5);
      expect(expected.filter((c) => c.change === 'ended').length).toBeGreaterThan(5);
      expect(expected.filter((c) => c.change === 'modified').length).toBeGreaterThan(5);
      const got = await allChanges(jobId);
      expect(got, `import #${jobId}`).toEqual(expected);

      const page = await importChanges(t.db, jobId);
      // "Before" is the extract the register held: 146, 147, then 148 (149 was never imported).
      expect(page.before).toBe([146, 147, 148][i]);
      for (const s of page.summary) {
        for (const c of ['added', 'ended', 'modified'] as const) expect(s[c], `${s.table} ${c}`).toBe(expected.filter((e) => e.table === s.table && e.change === c).length);
        // Re-issued unchanged: every entity the import touched a row of, less those listed.
        const spec = KBO_TABLES.find((k) => k.table === s.table)!;
        const [touched] = await t.db<{ n: number }[]>`
          select count(distinct ${t.db(spec.key)})::int as n from ${t.db(s.table)} where extract_number = ${page.job.extractNumber!} or deleted_at_extract = ${page.job.extractNumber!}`;
        expect(s.reissued, `${s.table} re-issued`).toBe(touched!.n - expected.filter((e) => e.table === s.table).length);
      }
      if (i < 2) expect(page.summary.reduce((a, x) => a + x.reissued, 0), 'an UPDATE re-issues some entities unchanged').toBeGreaterThan(0);
      const csv = await csvOf(jobId);
      expect(csv).toBe(['table,entity_number,change,rows_started,rows_ended', ...expected.map((c) => `${c.table},${c.number},${c.change},${c.started},${c.ended}`)].join('\n') + '\n');

      // Filters narrow the same list.
      expect(await allChanges(jobId, { table: 'activities', change: 'modified' })).toEqual(expected.filter((c) => c.table === 'activities' && c.change === 'modified'));
      const one = expected.find((c) => c.table === 'enterprises') as EntityChange;
      expect(await allChanges(jobId, { number: one.number.replaceAll('.', '') })).toEqual(expected.filter((c) => c.number === one.number));
    }

    // Rolled back, the resync holds no rows of its own any more: its list is empty, and so is its CSV.
    await rollbackImport(t.db, { jobId: resynced.job.id });
    const undone = await driveImport(t.db, { jobId: resynced.job.id, concurrency: 1, idleMs: 10 });
    expect(undone.job.status).toBe('rolled_back');
    expect(await importChanges(t.db, resynced.job.id)).toMatchObject({ summary: [], changes: [] });
    expect(await csvOf(resynced.job.id)).toBe('table,entity_number,change,rows_started,rows_ended\n');
    expect((await allChanges(jobs[1] as number)).length).toBe(expectedChanges(states[1] as Snapshot, states[2] as Snapshot).length);

    // A FULL into an empty register is not listed entity by entity: it added everything.
    const initial = await importChanges(t.db, first.job.id);
    expect(initial.changes).toEqual([]);
    expect(initial.loaded?.find((l) => l.table === 'enterprises')?.rows).toBe(250);
    // What it loaded is what the register held after it (a row the file repeats is kept once), as the progress counts it.
    for (const l of initial.loaded ?? []) {
      expect(l.rows, l.table).toBe((states[0] as Snapshot)[l.table].length);
      expect(l.fileRows, l.table).toBeGreaterThanOrEqual(l.rows);
    }
    expect((await refusal(csvOf(first.job.id))).message).toMatch(/added every row/);
    expect((await refusal(importChanges(t.db, jobs[0] as number, { table: 'codes' }))).message).toMatch(/table must be one of/);
    expect((await refusal(importChanges(t.db, jobs[0] as number, { change: 'moved' }))).message).toMatch(/change must be one of/);
    expect((await refusal(importChanges(t.db, 9999))).code).toBe('NOT_FOUND');
  });
});
