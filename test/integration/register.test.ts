import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, sortRows, zipExtract, type Row } from '../../lib/generator/generator';
import type { DataTableName } from '../../lib/kbo/spec';
import { type Coded, entityHistory, entityView, type EntityView } from '../../lib/register';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip, refusal } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

const code = (c: Coded) => c.code;

/** The view turned back into the register's rows, table by table, in the model's column order. */
function rowsOf(v: EntityView): Partial<Record<DataTableName, Row[]>> {
  const n = v.number;
  const e = v.enterprise;
  return {
    ...(e
      ? { enterprises: [[n, code(e.status), code(e.juridicalSituation), code(e.typeOfEnterprise), code(e.juridicalForm), code(e.juridicalFormCac), e.startDate]] }
      : { establishments: [[n, v.establishment?.startDate ?? null, v.establishment?.enterpriseNumber ?? null]] }),
    denominations: sortRows(v.denominations.map((d) => [n, code(d.language), code(d.type), d.denomination])),
    addresses: sortRows(
      v.addresses.map((a) => [n, code(a.type), a.countryNl, a.countryFr, a.zipcode, a.municipalityNl, a.municipalityFr, a.streetNl, a.streetFr, a.houseNumber, a.box, a.extraAddressInfo, a.dateStrikingOff]),
    ),
    contacts: sortRows(v.contacts.map((c) => [n, code(c.entityContact), code(c.type), c.value])),
    activities: sortRows(v.activities.map((a) => [n, code(a.group), a.naceVersion, code(a.nace), code(a.classification)])),
  };
}

type Snapshot = Record<DataTableName, Row[]>;
const TABLES: DataTableName[] = ['enterprises', 'establishments', 'denominations', 'addresses', 'contacts', 'activities', 'branches'];
/** The model's current rows of every table, kept: the register's state just after an import. */
const snapshot = (model: RegisterModel): Snapshot => Object.fromEntries(TABLES.map((table) => [table, model.currentRows(table)])) as Snapshot;

/** What the model says the register holds for `number` (now, or in a snapshot), in the same shape. */
function modelRowsOf(model: RegisterModel | Snapshot, number: string, kind: 'enterprise' | 'establishment'): Partial<Record<DataTableName, Row[]>> {
  const state = model instanceof RegisterModel ? snapshot(model) : model;
  const of = (table: DataTableName) => sortRows(state[table].filter((r) => r[0] === number));
  return {
    [kind === 'enterprise' ? 'enterprises' : 'establishments']: of(kind === 'enterprise' ? 'enterprises' : 'establishments'),
    denominations: of('denominations'),
    addresses: of('addresses'),
    contacts: of('contacts'),
    activities: of('activities'),
  };
}

describe('an entity as the register holds it', () => {
  it('equals the model for enterprises and establishments after a FULL and an UPDATE, with their establishments, branches and code texts', async () => {
    const model = new RegisterModel(81);
    const full = model.full(146, 300, '2025-10-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const update = model.update(147, '2025-10-02', 0.3);
    await importZip(t.db, update.fileName, await zipExtract(update));

    const enterprises = model.currentRows('enterprises').filter((_, i) => i % 15 === 0);
    expect(enterprises.length).toBeGreaterThan(10);
    const codes = model.currentRows('codes');
    const text = (category: string, c: string | null, lang: string) =>
      codes.find((r) => r[0] === category && r[1] === c && r[2] === lang)?.[3] ?? codes.find((r) => r[0] === category && r[1] === c && r[2] === 'NL')?.[3] ?? null;
    let withTexts = 0;
    let withRows = 0;
    for (const [number] of enterprises) {
      const view = await entityView(t.db, (number as string).replaceAll('.', ''), 'fr');
      // The generator's code table names juridical form 014 and the NACE 2025 codes.
      if (view.enterprise?.juridicalForm.text) withTexts++;
      withTexts += view.activities.filter((a) => a.nace.text).length;
      if (view.denominations.length && view.addresses.length && view.activities.length) withRows++;
      expect(view.kind).toBe('enterprise');
      expect(rowsOf(view), number as string).toEqual(modelRowsOf(model, number as string, 'enterprise'));
      expect(view.establishments.map((e) => [e.number, e.startDate])).toEqual(
        sortRows(model.currentRows('establishments').filter((r) => r[2] === number)).map((r) => [r[0], r[1]]),
      );
      expect(view.branches.map((b) => [b.id, b.startDate])).toEqual(sortRows(model.currentRows('branches').filter((r) => r[2] === number)).map((r) => [r[0], r[1]]));
      const e = view.enterprise;
      expect(e?.juridicalForm.text).toBe(e?.juridicalForm.code ? text('JuridicalForm', e.juridicalForm.code, 'FR') : null);
      for (const a of view.activities) expect(a.nace.text).toBe(text(`Nace${a.naceVersion}`, a.nace.code, 'FR'));
    }
    // The comparisons above were not vacuous.
    expect(withTexts).toBeGreaterThan(5);
    expect(withRows).toBeGreaterThan(enterprises.length / 2);
    expect(model.currentRows('establishments').length).toBeGreaterThan(0);
    for (const [number] of model.currentRows('establishments').filter((_, i) => i % 25 === 0)) {
      const view = await entityView(t.db, number as string, 'nl');
      expect(view.kind).toBe('establishment');
      expect(rowsOf(view), number as string).toEqual(modelRowsOf(model, number as string, 'establishment'));
    }
  });

  it('refuses what is not a number, and says so for a number the register does not hold now', async () => {
    expect((await refusal(entityView(t.db, 'Bistro'))).code).toBe('VALIDATION');
    expect((await refusal(entityView(t.db, '0200.065.766'))).message).toMatch(/fails the mod-97 check/);
    const missing = await refusal(entityView(t.db, 'BE 0200.065.765'));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toBe('The register has no enterprise 0200.065.765 (not now: it may never have existed, or it has ended).');
  });
});

describe('an entity as it stood, and its history', () => {
  it('as of each earlier extract equals the model just after that import, and its timeline is the difference between them', async () => {
    const model = new RegisterModel(1602);
    const states = new Map<number, Snapshot>();
    const full = model.full(146, 200, '2025-10-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    states.set(146, snapshot(model));
    for (const [x, day] of [[147, '2025-10-02'], [148, '2025-10-03'], [149, '2025-10-04']] as const) {
      const update = model.update(x, day, 0.25);
      await importZip(t.db, update.fileName, await zipExtract(update));
      states.set(x, snapshot(model));
    }
    // Entities that some update changed, ended or added, and a few that none touched.
    const everyone = [...new Set([...states.values()].flatMap((s) => [...s.enterprises, ...s.establishments].map((r) => r[0] as string)))].sort();
    const keyOf = (s: Snapshot, n: string) => JSON.stringify(TABLES.map((table) => sortRows(s[table].filter((r) => r[0] === n || (table !== 'enterprises' && r[2] === n && (table === 'establishments' || table === 'branches'))))));
    const changed = everyone.filter((n) => new Set([...states.values()].map((s) => keyOf(s, n))).size > 1);
    const sample = [...changed.filter((_, i) => i % 4 === 0), ...everyone.filter((n) => !changed.includes(n)).slice(0, 5)];
    expect(changed.length).toBeGreaterThan(20);

    let compared = 0;
    let absent = 0;
    for (const number of sample) {
      const kind = number.startsWith('0') || number.startsWith('1') ? 'enterprise' : 'establishment';
      for (const [x, state] of states) {
        const own = (kind === 'enterprise' ? state.enterprises : state.establishments).some((r) => r[0] === number);
        if (!own) {
          const missing = await refusal(entityView(t.db, number, 'nl', x));
          expect(missing.message).toBe(`The register had no ${kind} ${number} just after extract ${x}.`);
          absent++;
          continue;
        }
        const view = await entityView(t.db, number, 'nl', x);
        expect(rowsOf(view), `${number} as of ${x}`).toEqual(modelRowsOf(state, number, kind));
        if (kind === 'enterprise') {
          expect(view.establishments.map((e) => e.number)).toEqual(sortRows(state.establishments.filter((r) => r[2] === number)).map((r) => r[0]));
          const names = state.denominations.filter((r) => r[0] === number && r[2] === '001');
          if (names.length === 1) expect(view.enterprise?.primaryName).toBe(names[0]![3]);
        }
        compared++;
      }

      // The timeline: per extract and table, the rows that started and ended, as the snapshots differ.
      const history = await entityHistory(t.db, number);
      const expected = new Map<string, { started: number; ended: number }>();
      let before: Snapshot | undefined;
      for (const [x, state] of states) {
        for (const table of TABLES) {
          const mine = (s: Snapshot | undefined) =>
            (s?.[table] ?? []).filter((r) => (kind === 'enterprise' && (table === 'establishments' || table === 'branches') ? r[2] : r[0]) === number).map((r) => JSON.stringify(r));
          if (kind === 'establishment' && (table === 'enterprises' || table === 'branches')) continue;
          const [was, is] = [mine(before), mine(state)];
          const started = is.filter((r) => !was.includes(r)).length;
          const ended = was.filter((r) => !is.includes(r)).length;
          if (started || ended) expected.set(`${x} ${table}`, { started, ended });
        }
        before = state;
      }
      const got = new Map(
        history.events.flatMap((e) => e.tables.filter((c) => c.started || c.ended).map((c) => [`${e.extractNumber} ${c.table}`, { started: c.started, ended: c.ended }])),
      );
      expect(Object.fromEntries(got), number).toEqual(Object.fromEntries(expected));
      expect(history.events.map((e) => e.extractNumber)).toEqual([...history.events.map((e) => e.extractNumber)].sort((a, b) => b - a));
      for (const e of history.events) expect(e.snapshotDate).toBe({ 146: '2025-10-01', 147: '2025-10-02', 148: '2025-10-03', 149: '2025-10-04' }[e.extractNumber]);
    }
    expect(compared).toBeGreaterThan(30);
    expect(absent).toBeGreaterThan(0);
    expect((await refusal(entityHistory(t.db, '0200.065.765'))).code).toBe('NOT_FOUND');
  });
});

describe('what the pages need to say', () => {
  it("names the language a code's text fell back to, the name a search matched, the extract an as-of shows, and the rows of an entity whose own row ended", async () => {
    const model = new RegisterModel(3011);
    const full = model.full(146, 200, '2025-10-01');
    await importZip(t.db, full.fileName, await zipExtract(full));
    const { asOfExtract, searchRegister } = await import('../../lib/register');

    // The generator's code table has French and Dutch texts only: German falls back to Dutch, and says so.
    const someone = model.currentRows('enterprises').find((r) => r[4] === '014')![0] as string;
    const de = await entityView(t.db, someone, 'de');
    expect(de.enterprise!.juridicalForm).toMatchObject({ code: '014', text: 'Naamloze vennootschap', language: 'NL' });
    expect((await entityView(t.db, someone, 'fr')).enterprise!.juridicalForm).toMatchObject({ text: 'Société anonyme, "SA"', language: 'FR' });

    // An enterprise found by a name that is not its main one: the hit says which name matched.
    const names = model.currentRows('denominations');
    const other = names.find((d) => d[2] === '003' && names.some((m) => m[0] === d[0] && m[2] === '001' && m[3] !== d[3]))!;
    const result = await searchRegister(t.db, { q: other[3] as string });
    const hit = result.hits.find((h) => h.number === other[0])!;
    expect(hit.name).not.toBe(other[3]);
    expect(hit.matchedName).toBe(other[3]);
    expect(result.hits.filter((h) => h.name === other[3]).every((h) => h.matchedName === undefined)).toBe(true);

    // A FULL (a resync) that lists an enterprise's names and address but not the enterprise itself.
    const gone = someone;
    model.state.enterprises.delete(gone);
    const resync = model.snapshot(148, '2025-10-03');
    expect((await importZip(t.db, resync.fileName, await zipExtract(resync), { force: true })).job.status).toBe('completed');
    const left = await entityView(t.db, gone);
    expect(left.ownRowEnded).toBe(true);
    expect(left.enterprise).toBeNull();
    expect(left.denominations.length).toBe(names.filter((d) => d[0] === gone).length);
    expect((await entityView(t.db, gone, 'nl', 146)).ownRowEnded).toBe(false);

    // An enterprise struck off with all its own rows, while a branch of it stays listed: no
    // entity (a branch is a link to it, not a row of it).
    const branch = model.currentRows('branches').find((b) => b[2] !== gone)!;
    const struck = branch[2] as string;
    for (const table of ['enterprises', 'denominations', 'addresses', 'contacts', 'activities'] as const) model.state[table].delete(struck);
    const again = model.snapshot(149, '2025-10-04');
    expect((await importZip(t.db, again.fileName, await zipExtract(again), { force: true })).job.status).toBe('completed');
    const [stillThere] = await t.db<{ n: number }[]>`select count(*)::int as n from branches where is_current and enterprise_number = ${struck}`;
    expect(stillThere!.n).toBeGreaterThan(0);
    expect((await refusal(entityView(t.db, struck))).code).toBe('NOT_FOUND');

    // As of an extract never imported (147): the register as 146 left it, and the page says which.
    expect(await asOfExtract(t.db, 147)).toMatchObject({ asked: 147, imported: false, held: { extractNumber: 146, extractType: 'full', snapshotDate: '2025-10-01' } });
    expect(await asOfExtract(t.db, 148)).toMatchObject({ imported: true, held: { extractNumber: 148 } });
    expect(await asOfExtract(t.db, 150)).toMatchObject({ imported: false, held: { extractNumber: 149 } });
    expect(await asOfExtract(t.db, 100)).toMatchObject({ imported: false, held: null });
  });
});
