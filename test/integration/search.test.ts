import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegisterModel, zipExtract, type Row } from '../../lib/generator/generator';
import { searchRegister, type SearchQuery } from '../../lib/register';
import { freshDb, type TestDb } from '../helpers/db';
import { importZip } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

/** A register of 300 enterprises after a FULL and an UPDATE, and the model that knows it. */
async function loaded(): Promise<RegisterModel> {
  const model = new RegisterModel(1601);
  const full = model.full(146, 300, '2025-10-01');
  await importZip(t.db, full.fileName, await zipExtract(full));
  const update = model.update(147, '2025-10-02', 0.2);
  await importZip(t.db, update.fileName, await zipExtract(update));
  return model;
}

/** Every hit of a search, page after page. */
async function allHits(query: SearchQuery) {
  const hits = [];
  for (let page = 1; ; page++) {
    const r = await searchRegister(t.db, { ...query, page });
    hits.push(...r.hits);
    if (!r.hasMore) return hits;
  }
}

/** The generator's names are ASCII: folding is lower case with punctuation runs as one space. */
const fold = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

/** The model's current enterprises and establishments (branches are not results). */
function entities(model: RegisterModel): Map<string, 'enterprise' | 'establishment'> {
  const out = new Map<string, 'enterprise' | 'establishment'>();
  for (const r of model.currentRows('enterprises')) out.set(r[0] as string, 'enterprise');
  for (const r of model.currentRows('establishments')) out.set(r[0] as string, 'establishment');
  return out;
}

const numbersWhere = (model: RegisterModel, table: 'activities' | 'addresses' | 'denominations', test: (r: Row) => boolean) => {
  const known = entities(model);
  return [...new Set(model.currentRows(table).filter((r) => known.has(r[0] as string) && test(r)).map((r) => r[0] as string))].sort();
};

describe('register search', () => {
  it('finds an enterprise or establishment by its number in any common form, and only a current one', async () => {
    const model = await loaded();
    const [enterprise] = model.currentRows('enterprises')[5] as [string];
    const digits = enterprise.replaceAll('.', '');
    for (const typed of [enterprise, digits, `BE${digits}`, `BE ${enterprise}`, digits.slice(1)]) {
      const r = await searchRegister(t.db, { q: typed });
      expect(r.match, typed).toBe('number');
      expect(r.hits.map((h) => [h.number, h.kind])).toEqual([[enterprise, 'enterprise']]);
    }
    const [establishment, , owner] = model.currentRows('establishments')[0] as [string, string, string];
    const hit = (await searchRegister(t.db, { q: establishment })).hits[0];
    expect(hit).toMatchObject({ number: establishment, kind: 'establishment', enterpriseNumber: owner });
    // An ended enterprise is not found; a number with a wrong check digit is refused, saying so.
    const ended = [...new Set(model.currentRows('enterprises').map((r) => r[0]))];
    const gone = (await t.db<{ n: string }[]>`select enterprise_number as n from enterprises where not is_current
      and enterprise_number <> all(${ended as string[]}::text[]) limit 1`)[0]?.n;
    expect(gone).toBeTruthy();
    expect((await searchRegister(t.db, { q: gone as string })).hits).toEqual([]);
    await expect(searchRegister(t.db, { q: `${digits.slice(0, 9)}${(Number(digits[9]) + 1) % 10}` })).rejects.toThrow(/mod-97/);
  });

  it('finds by name prefix, case and punctuation aside, exactly the entities the model has with such a name, in name order', async () => {
    const model = await loaded();
    const names = model.currentRows('denominations').map((r) => r[3] as string);
    const target = names.find((n) => n.includes(',')) as string; // "Maes, Peeters": a comma in the name
    // The whole name typed without its comma finds it; its first word finds many.
    const whole = await allHits({ q: target.replace(',', '').toUpperCase() });
    const withWhole = numbersWhere(model, 'denominations', (r) => fold(r[3] as string).startsWith(fold(target)));
    expect(whole.slice(0, withWhole.length).map((h) => h.number).sort()).toEqual(withWhole);
    const prefix = fold(target).split(' ')[0] as string;
    const expected = numbersWhere(model, 'denominations', (r) => fold(r[3] as string).startsWith(prefix));
    expect(expected.length).toBeGreaterThan(20);
    const hits = await allHits({ q: `${prefix.toUpperCase()},` });
    const numbers = hits.map((h) => h.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    // Every name with the prefix, and nothing else.
    expect([...numbers].sort()).toEqual(expected);
    const firstName = (n: string) =>
      model.currentRows('denominations').filter((r) => r[0] === n).map((r) => fold(r[3] as string)).filter((f) => f.startsWith(prefix)).sort()[0] as string;
    const keys = numbers.slice(0, expected.length).map((n) => `${firstName(n)}\u0000${n}`);
    expect(keys).toEqual([...keys].sort());
    // Each hit carries what the list shows.
    const known = entities(model);
    for (const h of hits.slice(0, expected.length)) {
      expect(h.kind).toBe(known.get(h.number));
      expect(h.name).toBeTruthy();
    }
  });

  it('finds a name with accents typed without them, and a misspelt one by similarity', async () => {
    const model = await loaded();
    const [owner] = model.currentRows('enterprises')[7] as [string];
    // A denomination with accents, as the register's own files have them.
    await t.db`insert into denominations (entity_number, language, type_of_denomination, denomination, extract_number)
                       values (${owner}, '2', '002', 'Société Générale de Belgique', 147)`;
    for (const [q, match] of [['societe generale', 'name'], ['SOCIÉTÉ-GÉNÉRALE', 'name'], ['Générale de Belgique', 'similar'], ['societe generalle', 'similar']]) {
      expect((await searchRegister(t.db, { q: q as string })).match, q).toBe(match);
      const hits = await allHits({ q: q as string });
      expect(hits.map((h) => h.number), q).toContain(owner);
    }
    expect((await allHits({ q: 'zzqx unheard of' })).length).toBe(0);
  });

  it('filters by NACE code, postcode or municipality, juridical form and status, alone or together, as the model says', async () => {
    const model = await loaded();
    const nace = '69201';
    const byNace = numbersWhere(model, 'activities', (r) => r[3] === nace);
    const r1 = await searchRegister(t.db, { nace });
    expect(r1.match).toBe('filters');
    expect(r1.naceText).toMatch(/Activity 69201 \(NL\)/);
    expect((await allHits({ nace })).map((h) => h.number)).toEqual(byNace);

    const inGent = numbersWhere(model, 'addresses', (r) => r[4] === '9000');
    expect(inGent.length).toBeGreaterThan(10);
    expect((await allHits({ place: '9000' })).map((h) => h.number)).toEqual(inGent);
    expect((await allHits({ place: 'gand' })).map((h) => h.number)).toEqual(inGent);
    expect((await allHits({ place: 'LIEGE' })).map((h) => h.number)).toEqual(numbersWhere(model, 'addresses', (r) => r[4] === '4000'));

    const form = new Set(model.currentRows('enterprises').filter((r) => r[4] === '014').map((r) => r[0] as string));
    expect((await allHits({ form: '014' })).map((h) => h.number)).toEqual([...form].sort());
    expect((await allHits({ status: 'ac' })).length).toBe(model.currentRows('enterprises').length);

    const together = byNace.filter((n) => inGent.includes(n) && form.has(n));
    expect(together.length).toBeGreaterThan(0);
    const hits = await allHits({ nace, place: 'Gent', form: '014' });
    expect(hits.map((h) => h.number)).toEqual(together);
    expect(hits.every((h) => h.kind === 'enterprise' && h.juridicalForm.code === '014' && h.address?.includes('9000'))).toBe(true);

    // A name and a filter narrow each other.
    const named = model.currentRows('denominations').find((r) => form.has(r[0] as string))?.[3] as string;
    const prefix = fold(named).split(' ')[0] as string;
    const withForm = await allHits({ q: prefix, form: '014' });
    expect(withForm.length).toBeGreaterThan(0);
    expect(withForm.every((h) => form.has(h.number))).toBe(true);
  });

  it('an entity with many names of the prefix takes one line, and the page still fills', async () => {
    const model = await loaded();
    const numbers = model.currentRows('enterprises').map((r) => r[0] as string).slice(0, 30);
    // The first enterprise has 100 names starting with "Zzmany"; 29 others one each.
    for (let i = 0; i < 100; i++) {
      await t.db`insert into denominations (entity_number, language, type_of_denomination, denomination, extract_number)
                         values (${numbers[0] as string}, '2', '002', ${`Zzmany ${String(i).padStart(3, '0')}`}, 147)`;
    }
    for (const n of numbers.slice(1)) {
      await t.db`insert into denominations (entity_number, language, type_of_denomination, denomination, extract_number) values (${n}, '2', '002', 'Zzmany zzz', 147)`;
    }
    const first = await searchRegister(t.db, { q: 'zzmany' });
    expect(first.match).toBe('name');
    expect(first.hits).toHaveLength(20);
    expect(first.hasMore).toBe(true);
    expect(first.hits[0]?.number).toBe(numbers[0]);
    expect((await allHits({ q: 'zzmany' })).map((h) => h.number).sort()).toEqual([...numbers].sort());
  });

  it('an enterprise or establishment a FULL lists twice takes one line: the register keeps the first row and rejects the other', async () => {
    const model = new RegisterModel(1602);
    const full = model.full(146, 50, '2025-10-01');
    const [first] = model.currentRows('enterprises');
    const [place] = model.currentRows('establishments');
    // The same enterprise and establishment listed twice, the second time with other values.
    const files = {
      ...full.files,
      'enterprise.csv': `${full.files['enterprise.csv']}"${first?.[0]}","JU","000","2",,,01-01-2001\n`,
      'establishment.csv': `${full.files['establishment.csv']}"${place?.[0]}",02-02-2002,"${place?.[2]}"\n`,
    };
    const status = await importZip(t.db, full.fileName, await zipExtract({ ...full, files }));
    expect(status.rejected).toBe(2);
    await t.db`insert into denominations (entity_number, language, type_of_denomination, denomination, extract_number)
                       values (${first?.[0] as string}, '2', '002', 'Zztwice', 146), (${place?.[0] as string}, '2', '003', 'Zztwice', 146)`;
    const hits = (await searchRegister(t.db, { q: 'zztwice' })).hits;
    expect(hits.map((h) => h.number)).toEqual([first?.[0], place?.[0]]);
    expect(hits[0]?.status.code).toBe(first?.[1]);
    expect(first?.[1]).not.toBe('JU');
    expect((await searchRegister(t.db, { q: first?.[0] as string })).hits).toHaveLength(1);
  });

  it('pages in order without repeats, and refuses an empty query, a bad filter or a page out of range', async () => {
    await loaded();
    const first = await searchRegister(t.db, { status: 'AC' });
    const second = await searchRegister(t.db, { status: 'AC', page: 2 });
    expect(first.hits).toHaveLength(20);
    expect(first.hasMore).toBe(true);
    expect(second.hits[0]!.number > first.hits[19]!.number).toBe(true);
    await expect(searchRegister(t.db, {})).rejects.toThrow(/Give a number or a name/);
    await expect(searchRegister(t.db, { q: '  ', nace: '' })).rejects.toThrow(/Give a number or a name/);
    await expect(searchRegister(t.db, { nace: "62'; drop" })).rejects.toThrow(/nace must be a code/);
    await expect(searchRegister(t.db, { status: 'AC', page: 51 })).rejects.toThrow(/page must be/);
    await expect(searchRegister(t.db, { q: '!!!' })).rejects.toThrow(/no letters or digits/);
  });
});
