import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, sortRows, zipExtract, type Row } from '../../lib/datasets/generator';
import type { DataTableName } from '../../lib/datasets/kbo';
import { entityView, type Coded, type EntityView } from '../../lib/register/entity';
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

/** What the model says the register holds for `number`, in the same shape. */
function modelRowsOf(model: RegisterModel, number: string, kind: 'enterprise' | 'establishment'): Partial<Record<DataTableName, Row[]>> {
  const of = (table: DataTableName) => sortRows(model.currentRows(table).filter((r) => r[0] === number));
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
      const view = await entityView(t.db.$client, (number as string).replaceAll('.', ''), 'fr');
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
      const view = await entityView(t.db.$client, number as string, 'nl');
      expect(view.kind).toBe('establishment');
      expect(rowsOf(view), number as string).toEqual(modelRowsOf(model, number as string, 'establishment'));
    }
  });

  it('refuses what is not a number, and says so for a number the register does not hold now', async () => {
    expect((await refusal(entityView(t.db.$client, 'Bistro'))).code).toBe('VALIDATION');
    expect((await refusal(entityView(t.db.$client, '0200.065.766'))).message).toMatch(/fails the mod-97 check/);
    const missing = await refusal(entityView(t.db.$client, 'BE 0200.065.765'));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toBe('The register has no enterprise 0200.065.765 (not now: it may never have existed, or it has ended).');
  });
});
