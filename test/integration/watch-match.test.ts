/** Each import's changes matched against a watchlist of numbers equal the model's differences for its entities, field by field; a rollback withdraws them. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type Row } from '../../lib/generator/generator';
import { KBO_TABLES, type DataTableName } from '../../lib/kbo/spec';
import { createWatchlist, matchFeed, type FeedMatch } from '../../lib/watch';
import { rollbackImport } from '../helpers/answers';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip } from '../helpers/import';

// Small parts: every watchlist and every saved search is matched in many, their boundaries crossed.
process.env.WATCH_PART_SIZE = '40';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

type Rec = Record<string, string | null>;
type State = Record<DataTableName, Rec[]>;

/** The model's current rows of every table, as records of their columns. */
function stateOf(model: RegisterModel): State {
  const out = {} as State;
  for (const spec of KBO_TABLES) out[spec.table] = model.currentRows(spec.table).map((r: Row) => Object.fromEntries(spec.columns.map((c, i) => [c.column, r[i] ?? null])));
  return out;
}

const keyOf = (table: DataTableName) => KBO_TABLES.find((s) => s.table === table)!.key;
const canon = (r: Rec) => JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b))));

/** What the model says changed for a watched enterprise (its own rows, its establishments', its branches') or establishment between two states: per table and entity, the rows started and ended. */
function expected(before: State, after: State, e: string) {
  const entities = new Set([e]);
  for (const s of [before, after]) {
    for (const r of s.establishments) if (r.enterprise_number === e) entities.add(r.establishment_number as string);
    for (const r of s.branches) if (r.enterprise_number === e) entities.add(r.branch_id as string);
  }
  const out: { table: string; entity: string; started: string[]; ended: string[] }[] = [];
  for (const spec of KBO_TABLES) {
    for (const entity of [...entities].sort()) {
      const rows = (s: State) => s[spec.table].filter((r) => r[keyOf(spec.table)] === entity).map(canon);
      const [b, a] = [rows(before), rows(after)];
      const started = a.filter((x) => !b.includes(x)).sort();
      const ended = b.filter((x) => !a.includes(x)).sort();
      if (started.length || ended.length) out.push({ table: spec.table, entity, started, ended });
    }
  }
  const own = (s: State) => s.enterprises.some((r) => r.enterprise_number === e) || s.establishments.some((r) => r.establishment_number === e);
  const kind = !own(before) && own(after) ? 'added' : own(before) && !own(after) ? 'ended' : 'modified';
  return out.length ? { kind, rows: out } : null;
}

async function matchesOf(watchlist: number, jobId: number) {
  const rows = await t.db<{ number: string; kind: string; rows: { table: string; entity: string; started: Rec[]; ended: Rec[] }[]; withdrawn: boolean }[]>`
    select number, kind, rows, withdrawn_at is not null as withdrawn from watch_matches where watchlist_id = ${watchlist} and job_id = ${jobId} order by number`;
  return new Map(
    rows.map((m) => [
      m.number,
      {
        kind: m.kind,
        withdrawn: m.withdrawn,
        rows: m.rows
          .map((r) => ({ table: r.table, entity: r.entity, started: r.started.map(canon).sort(), ended: r.ended.map(canon).sort() }))
          .sort((x, y) => `${KBO_TABLES.findIndex((s) => s.table === x.table)}\u0000${x.entity}`.localeCompare(`${KBO_TABLES.findIndex((s) => s.table === y.table)}\u0000${y.entity}`)),
      },
    ]),
  );
}

type Search = { q?: string; nace?: string; place?: string; form?: string; status?: string };

/** Does the saved search hold for entity `e` in a state of the model? The register's own filters, the name by its folded prefix. */
function holds(s: State, f: Search, e: string, folded: Map<string, string>): boolean {
  const enterprise = s.enterprises.find((r) => r.enterprise_number === e);
  if (f.form !== undefined || f.status !== undefined) {
    if (!enterprise || (f.form !== undefined && enterprise.juridical_form !== f.form) || (f.status !== undefined && enterprise.status !== f.status)) return false;
  } else if (!enterprise && !s.establishments.some((r) => r.establishment_number === e)) return false;
  if (f.nace !== undefined && !s.activities.some((r) => r.entity_number === e && r.nace_code === f.nace)) return false;
  if (f.place !== undefined && !s.addresses.some((r) => r.entity_number === e && r.zipcode === f.place)) return false;
  if (f.q !== undefined) {
    const prefix = folded.get(f.q) as string;
    if (!s.denominations.some((r) => r.entity_number === e && (folded.get(r.denomination as string) ?? '').startsWith(prefix))) return false;
  }
  return true;
}

/** The most common value of a column among the rows of a table. */
function commonest(rows: Rec[], column: string): string {
  const counts = new Map<string, number>();
  for (const r of rows) if (r[column]) counts.set(r[column] as string, (counts.get(r[column] as string) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
}

describe('watchlist matching', () => {
  it('for a FULL into an empty register, three UPDATEs and a resync equals the model\u2019s differences for every watched entity, numbers and saved searches alike, field by field; re-issued rows are no match; a rollback withdraws them', async () => {
    const model = new RegisterModel(4301);
    const empty = stateOf(model);
    const full = model.full(1, 150, '2025-06-01');
    const loaded = stateOf(model);
    const enterprises = loaded.enterprises.map((r) => r.enterprise_number as string);
    const establishments = loaded.establishments.map((r) => r.establishment_number as string);
    const watched = [...enterprises.filter((_, i) => i % 3 === 0), ...establishments.filter((_, i) => i % 4 === 0)];
    const desk = { owner: 'desk', admin: false };
    // Followed before the register is loaded: the FULL adds each of them.
    const w = await createWatchlist(t.db, desk, { name: 'a third of them', numbers: [...watched, '0200.065.765'] });
    const name = loaded.denominations.find((r) => r.entity_number === enterprises[7])!.denomination as string;
    const searches: Search[] = [
      { nace: commonest(loaded.activities, 'nace_code') },
      { place: commonest(loaded.addresses, 'zipcode') },
      { form: commonest(loaded.enterprises, 'juridical_form'), status: 'AC' },
      { q: name.slice(0, 2) },
      { nace: commonest(loaded.activities, 'nace_code'), place: commonest(loaded.addresses, 'zipcode') },
    ];
    const saved = [];
    for (const [i, search] of searches.entries()) saved.push({ search, id: (await createWatchlist(t.db, desk, { name: `search ${i}`, search })).id });

    const steps: (() => ReturnType<RegisterModel['update']>)[] = [
      () => full,
      () => model.update(2, '2025-06-02', 0.3),
      () => model.update(3, '2025-06-03', 0.3),
      () => model.update(4, '2025-06-04', 0.3),
      () => {
        model.drift(0.1);
        return model.snapshot(5, '2025-06-05');
      },
    ];
    let last = 0;
    let before = empty;
    for (const step of steps) {
      const e = step();
      const after = stateOf(model);
      const job = (await importZip(t.db, e.fileName, await zipExtract(e), { batchSize: 40 })).job.id;
      last = job;
      // Numbers: each watched entity's match is the model's difference, and nothing else matched.
      const got = await matchesOf(w.id, job);
      let matched = 0;
      for (const number of watched) {
        const want = expected(before, after, number);
        const have = got.get(number);
        if (!want) {
          expect(have, `${e.fileName}: ${number} did not change`).toBeUndefined();
          continue;
        }
        matched++;
        expect(have, `${e.fileName}: ${number}`).toEqual({ kind: want.kind, withdrawn: false, rows: want.rows });
      }
      expect(matched, `${e.fileName} changes some watched entities`).toBeGreaterThan(0);
      expect([...got.keys()].every((n) => watched.includes(n))).toBe(true);
      // Saved searches: every entity the search held for before or after, that changed.
      const names = [...new Set([...before.denominations, ...after.denominations].map((r) => r.denomination as string)), ...searches.flatMap((f) => (f.q ? [f.q] : []))];
      const folded = new Map((await t.db<{ d: string; f: string }[]>`select d, coalesce(kbo_fold(d), '') as f from unnest(${names}::text[]) d`).map((r) => [r.d, r.f]));
      const everyone = [...new Set([before, after].flatMap((s) => [...s.enterprises.map((r) => r.enterprise_number as string), ...s.establishments.map((r) => r.establishment_number as string)]))];
      for (const { search, id } of saved) {
        const have = await matchesOf(id, job);
        const want = new Map(
          everyone
            .filter((n) => holds(before, search, n, folded) || holds(after, search, n, folded))
            .map((n) => [n, expected(before, after, n)] as const)
            .filter(([, x]) => x !== null)
            .map(([n, x]) => [n, { kind: x!.kind, withdrawn: false, rows: x!.rows }]),
        );
        expect([...have.keys()].sort(), `${e.fileName}: ${JSON.stringify(search)}`).toEqual([...want.keys()].sort());
        expect(have, `${e.fileName}: ${JSON.stringify(search)}`).toEqual(want);
        if (e.fileName === full.fileName) expect(want.size, `${JSON.stringify(search)} finds some of the FULL`).toBeGreaterThan(0);
      }
      before = after;
    }
    await rollbackImport(t.db, { jobId: last });
    expect([...(await matchesOf(w.id, last)).values()].every((m) => m.withdrawn)).toBe(true);
    // The feed, page by page, in the order written: every match once, the withdrawn ones last
    // (a rollback puts them at the end again, saying so).
    const all = (await t.db<{ n: number }[]>`select count(*)::int as n from watch_matches where watchlist_id = ${w.id}`)[0]!.n;
    const seen: FeedMatch[] = [];
    let after = '0';
    for (let i = 0; i < 100; i++) {
      const page = await matchFeed(t.db, w.id, after, 7);
      seen.push(...page.matches);
      after = page.next;
      if (!page.more) break;
    }
    expect(seen).toHaveLength(all);
    expect(new Set(seen.map((m) => `${m.jobId}:${m.number}`)).size).toBe(all);
    const firstWithdrawn = seen.findIndex((m) => m.withdrawnAt !== null);
    expect(firstWithdrawn).toBeGreaterThan(0);
    expect(seen.slice(firstWithdrawn).every((m) => m.withdrawnAt !== null && m.jobId === last)).toBe(true);
    expect(seen.find((m) => m.changes.some((c) => c.field !== undefined))?.changes[0]).toMatchObject({ table: expect.any(String), field: expect.any(String) });
    // Nothing new since: the same place again.
    expect(await matchFeed(t.db, w.id, after)).toEqual({ matches: [], next: after, more: false });
    expect((await matchFeed(t.db, w.id, '5')).matches).toEqual([]);
  });
});
