/** Watchlists kept per owner: numbers in any form (the wrong ones reported), a saved search, changes, limits. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWatchlist, deleteWatchlist, getWatchlist, listWatchlists, MAX_MEMBERS, updateWatchlist } from '../../lib/watch';
import { formatEnterprise } from '../../lib/kbo/values';
import { freshDb, type TestDb } from '../helpers/db';
import { refusal } from '../helpers/import';

let t: TestDb;
beforeEach(async () => {
  t = await freshDb();
});
afterEach(async () => {
  await t.drop();
});

const desk = { owner: 'desk', admin: false };
const other = { owner: 'key:7', admin: false };
const admin = { owner: 'admin', admin: true };

/** The n-th valid enterprise number (mod-97 computed). */
const enterprise = (i: number) => {
  const first8 = String(20_000_000 + i).padStart(8, '0');
  return formatEnterprise(first8 + String(97 - (Number(first8) % 97)).padStart(2, '0'));
};

describe('watchlists', () => {
  it('follow numbers in any form, each once, and say which could not be read; the secret is given once', async () => {
    const made = await createWatchlist(t.db, desk, {
      name: 'Customers',
      numbers: ['0200.065.765', 'BE0200065765', '200065765', '0200.065.766', 'ACME'],
      csv: 'number\n0200.068.636;x\n',
      webhookUrl: 'https://hooks.example.org/kbo',
      email: 'desk@example.org',
    });
    expect(made).toMatchObject({ members: 2, invalidCount: 3 });
    expect(made.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(made.invalid.map((i) => i.value)).toEqual(['0200.065.766', 'ACME', 'x']);
    const w = await getWatchlist(t.db, desk, made.id);
    expect(w).toMatchObject({ name: 'Customers', owner: 'desk', members: 2, numbers: ['0200.065.765', '0200.068.636'], webhookUrl: 'https://hooks.example.org/kbo', email: 'desk@example.org', search: null });
    expect(JSON.stringify(w)).not.toContain(made.secret);
  });

  it('follow a saved search checked as the register checks a query, alone or beside numbers', async () => {
    const s = await createWatchlist(t.db, desk, { name: 'IT in Gent', search: { nace: '62.010', place: 'Gent', status: 'ac' } });
    expect((await getWatchlist(t.db, desk, s.id)).search).toEqual({ nace: '62010', place: 'Gent', status: 'AC' });
    expect((await refusal(createWatchlist(t.db, desk, { name: 'empty search', search: {} }))).message).toMatch(/^Give a number or a name to search for, or a filter/);
    expect((await refusal(createWatchlist(t.db, desk, { name: 'bad code', search: { form: "0'14" } }))).message).toMatch(/form must be a code of letters and digits/);
    const none = await refusal(createWatchlist(t.db, desk, { name: 'nothing', numbers: ['nope'] }));
    expect(none.message).toBe('A watchlist follows numbers, a search, or both: give numbers (none of the 1 given could be read) or a search.');
    await expect(createWatchlist(t.db, desk, { name: 'hook', numbers: ['0200.065.765'], webhookUrl: 'ftp://example.org/x' })).rejects.toThrow(/http or https/);
    await expect(createWatchlist(t.db, desk, { name: 'x', numbers: ['0200.065.765'], extra: 1 })).rejects.toThrow();
  });

  it("are their owner's: another reader or key neither sees nor changes them; an admin sees every one", async () => {
    const mine = await createWatchlist(t.db, desk, { name: 'mine', numbers: ['0200.065.765'] });
    const theirs = await createWatchlist(t.db, other, { name: 'theirs', numbers: ['0200.068.636'] });
    expect((await listWatchlists(t.db, desk)).map((w) => w.name)).toEqual(['mine']);
    expect((await listWatchlists(t.db, admin)).map((w) => w.name)).toEqual(['theirs', 'mine']);
    expect((await refusal(getWatchlist(t.db, desk, theirs.id))).code).toBe('NOT_FOUND');
    expect((await refusal(updateWatchlist(t.db, desk, theirs.id, { name: 'mine now' }))).code).toBe('NOT_FOUND');
    expect((await refusal(deleteWatchlist(t.db, desk, theirs.id))).code).toBe('NOT_FOUND');
    expect(await deleteWatchlist(t.db, admin, theirs.id)).toEqual({ id: theirs.id, deleted: true });
    expect((await listWatchlists(t.db, admin)).map((w) => w.id)).toEqual([mine.id]);
  });

  it('change: numbers added, removed or replaced, the search set or cleared, never left following nothing', async () => {
    const w = await createWatchlist(t.db, desk, { name: 'w', numbers: ['0200.065.765'] });
    let after = await updateWatchlist(t.db, desk, w.id, { add: ['0200068636', 'nope'], name: 'renamed' });
    expect(after).toMatchObject({ name: 'renamed', members: 2, numbers: ['0200.065.765', '0200.068.636'] });
    expect(after.invalid.map((i) => i.value)).toEqual(['nope']);
    after = await updateWatchlist(t.db, desk, w.id, { remove: ['BE 0200.065.765'], search: { status: 'AC' } });
    expect(after).toMatchObject({ members: 1, numbers: ['0200.068.636'], search: { status: 'AC' } });
    after = await updateWatchlist(t.db, desk, w.id, { numbers: [] });
    expect(after.members).toBe(0);
    expect((await refusal(updateWatchlist(t.db, desk, w.id, { search: null }))).message).toMatch(/would leave it following nothing/);
    expect((await getWatchlist(t.db, desk, w.id)).search).toEqual({ status: 'AC' });
  });

  it('follow up to 100,000 numbers, no more', async () => {
    const many = Array.from({ length: MAX_MEMBERS }, (_, i) => enterprise(i));
    const w = await createWatchlist(t.db, desk, { name: 'many', numbers: many });
    expect(w).toMatchObject({ members: MAX_MEMBERS, invalidCount: 0 });
    expect((await refusal(updateWatchlist(t.db, desk, w.id, { add: [enterprise(MAX_MEMBERS)] }))).message).toBe('A watchlist follows at most 100,000 numbers; this change would make it 100,001.');
    expect((await refusal(createWatchlist(t.db, desk, { name: 'too many', numbers: [...many, enterprise(MAX_MEMBERS)] }))).message).toBe('A watchlist follows at most 100,000 numbers; 100,001 were given.');
  });
});
