import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Queryable, Sql } from '../db/client';
import { isoTime } from '../db/sql';
import { ImportFailure } from '../errors';
import { checkQuery } from '../register/query/search-query';
import { MAX_MEMBERS, readMembers, type Members } from './members';

/**
 * Watchlists: what a user or a program follows (numbers, a saved search of the register, or
 * both) and where its digests go. Each is its owner's: a reader or a key sees and changes only
 * its own; an admin sees all.
 */

/** Who asks: the owner name a watchlist is kept under, and whether they are an admin. */
export interface Watcher {
  owner: string;
  admin: boolean;
}

/** Watchlists one owner may keep. */
export const MAX_WATCHLISTS = 100;

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);

const search = z
  .object({
    q: z.string().max(200).optional(),
    nace: z.string().max(20).optional(),
    place: z.string().max(80).optional(),
    form: z.string().max(20).optional(),
    status: z.string().max(20).optional(),
  })
  .strict();

const webhook = z
  .string()
  .max(2_000)
  .url()
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'the webhook must be an http or https URL');

export const watchlistInput = z
  .object({
    name: z.string().trim().min(1).max(100).refine(noControl, 'the name must not contain control characters'),
    numbers: z.array(z.string().max(60)).max(MAX_MEMBERS * 2).optional(),
    /** The same as a CSV file's text (a header line is skipped). */
    csv: z.string().max(4_000_000).optional(),
    search: search.nullable().optional(),
    webhookUrl: webhook.nullable().optional(),
    email: z.string().trim().email().max(320).nullable().optional(),
  })
  .strict();

export const watchlistPatch = watchlistInput.partial().extend({
  /** Numbers to follow besides those it has, and numbers to follow no more. */
  add: z.array(z.string().max(60)).max(MAX_MEMBERS * 2).optional(),
  remove: z.array(z.string().max(60)).max(MAX_MEMBERS * 2).optional(),
  /** A new secret for its digests, given in the answer this once (the old one stops signing). */
  newSecret: z.literal(true).optional(),
});

export interface WatchlistView {
  id: number;
  owner: string;
  name: string;
  search: z.infer<typeof search> | null;
  webhookUrl: string | null;
  email: string | null;
  members: number;
  createdAt: string;
  updatedAt: string;
}

/** A saved search as the register checks a query (at least one filter; each a plain code). */
function checkedSearch(s: z.infer<typeof search> | null | undefined): z.infer<typeof search> | null {
  if (!s) return null;
  const checked = checkQuery({ ...s, page: 1 });
  return Object.fromEntries(Object.entries(checked).filter(([k, v]) => k !== 'page' && v !== undefined));
}

function tooMany(m: Members): void {
  if (m.numbers.length > MAX_MEMBERS) throw new ImportFailure('VALIDATION', `A watchlist follows at most ${MAX_MEMBERS.toLocaleString('en')} numbers; ${m.numbers.length.toLocaleString('en')} were given.`);
}

/** A new watchlist: 201 `{ id, secret, members, invalid, invalidCount }`; the secret is shown this once. */
export async function createWatchlist(sql: Sql, who: Watcher, raw: unknown) {
  const input = watchlistInput.parse(raw);
  const members = readMembers({ numbers: input.numbers, csv: input.csv });
  tooMany(members);
  const saved = checkedSearch(input.search);
  if (members.numbers.length === 0 && !saved) {
    throw new ImportFailure('VALIDATION', `A watchlist follows numbers, a search, or both: give numbers (${members.invalidCount ? `none of the ${members.invalidCount} given could be read` : 'none were given'}) or a search.`, {
      invalid: members.invalid,
    });
  }
  const [own] = await sql<{ n: number }[]>`select count(*)::int as n from watchlists where owner = ${who.owner}`;
  if ((own?.n ?? 0) >= MAX_WATCHLISTS) throw new ImportFailure('PRECONDITION_FAILED', `You keep ${MAX_WATCHLISTS} watchlists already, the most one owner may; delete one first.`);
  const secret = randomBytes(24).toString('base64url');
  const id = await sql.begin(async (tx) => {
    const [row] = await tx<{ id: number }[]>`
      insert into watchlists (owner, name, search, webhook_url, email, secret)
      values (${who.owner}, ${input.name}, ${saved ? JSON.stringify(saved) : null}::jsonb, ${input.webhookUrl ?? null}, ${input.email ?? null}, ${secret})
      returning id`;
    const wid = (row as { id: number }).id;
    await addMembers(tx, wid, members.numbers);
    return wid;
  });
  return { id, secret, members: members.numbers.length, invalid: members.invalid, invalidCount: members.invalidCount };
}

async function addMembers(sql: Queryable, id: number, numbers: string[]): Promise<void> {
  for (let i = 0; i < numbers.length; i += 20_000) {
    await sql`insert into watchlist_members (watchlist_id, number) select ${id}, n from unnest(${numbers.slice(i, i + 20_000)}::text[]) n on conflict do nothing`;
  }
}

const viewColumns = (sql: Queryable) => sql`
  w.id, w.owner, w.name, w.search, w.webhook_url as "webhookUrl", w.email,
  (select count(*) from watchlist_members m where m.watchlist_id = w.id)::int as members,
  ${isoTime(sql, 'created_at', 'w')} as "createdAt", ${isoTime(sql, 'updated_at', 'w')} as "updatedAt"`;

/** Its watchlists (an admin: every one), newest first. */
export async function listWatchlists(sql: Sql, who: Watcher): Promise<WatchlistView[]> {
  return sql<WatchlistView[]>`select ${viewColumns(sql)} from watchlists w where ${who.admin} or w.owner = ${who.owner} order by w.id desc`;
}

/** One of its watchlists, with the first 1,000 numbers it follows; another's is not found. */
export async function getWatchlist(sql: Queryable, who: Watcher, id: number): Promise<WatchlistView & { numbers: string[] }> {
  const [w] = await sql<WatchlistView[]>`select ${viewColumns(sql)} from watchlists w where w.id = ${id} and (${who.admin} or w.owner = ${who.owner})`;
  if (!w) throw new ImportFailure('NOT_FOUND', `Watchlist #${id} does not exist (or is not yours).`);
  const numbers = await sql<{ number: string }[]>`select number from watchlist_members where watchlist_id = ${id} order by number limit 1000`;
  return { ...w, numbers: numbers.map((n) => n.number) };
}

/** Changes a watchlist: its name, search, channels, or its numbers (all of them, or some added and some removed). */
export async function updateWatchlist(sql: Sql, who: Watcher, id: number, raw: unknown) {
  const input = watchlistPatch.parse(raw);
  return sql.begin(async (tx) => {
    await getWatchlist(tx, who, id);
    await tx`select 1 from watchlists where id = ${id} for update`;
    const replaced = input.numbers !== undefined || input.csv !== undefined ? readMembers({ numbers: input.numbers, csv: input.csv }) : null;
    const added = input.add ? readMembers({ numbers: input.add }) : null;
    const removed = input.remove ? readMembers({ numbers: input.remove }) : null;
    if (replaced) {
      tooMany(replaced);
      await tx`delete from watchlist_members where watchlist_id = ${id}`;
      await addMembers(tx, id, replaced.numbers);
    }
    if (added) await addMembers(tx, id, added.numbers);
    if (removed) await tx`delete from watchlist_members where watchlist_id = ${id} and number = any(${removed.numbers}::text[])`;
    const [count] = await tx<{ n: number }[]>`select count(*)::int as n from watchlist_members where watchlist_id = ${id}`;
    const n = count?.n ?? 0;
    if (n > MAX_MEMBERS) throw new ImportFailure('VALIDATION', `A watchlist follows at most ${MAX_MEMBERS.toLocaleString('en')} numbers; this change would make it ${n.toLocaleString('en')}.`);
    const saved = input.search === undefined ? undefined : checkedSearch(input.search);
    const secret = input.newSecret ? randomBytes(24).toString('base64url') : null;
    await tx`
      update watchlists set
        name = coalesce(${input.name ?? null}, name),
        search = case when ${saved === undefined} then search else ${saved ? JSON.stringify(saved) : null}::jsonb end,
        webhook_url = case when ${input.webhookUrl === undefined} then webhook_url else ${input.webhookUrl ?? null} end,
        email = case when ${input.email === undefined} then email else ${input.email ?? null} end,
        secret = coalesce(${secret}, secret),
        updated_at = now()
      where id = ${id}`;
    const after = await getWatchlist(tx, who, id);
    if (after.members === 0 && !after.search) throw new ImportFailure('VALIDATION', 'A watchlist follows numbers, a search, or both: this change would leave it following nothing.');
    const invalid = [replaced, added, removed].flatMap((m) => m?.invalid ?? []);
    return { ...after, invalid, ...(secret ? { secret } : {}) };
  });
}

/** Deletes one of its watchlists (and what it follows). */
export async function deleteWatchlist(sql: Sql, who: Watcher, id: number): Promise<{ id: number; deleted: true }> {
  const gone = await sql.begin(async (tx) => {
    await getWatchlist(tx, who, id);
    // Its digest step first, as the step takes its own row before the watchlist's (the other
    // order deadlocked with one): a digest being written finishes, then goes.
    await tx`delete from watch_steps where watchlist_id = ${id}`;
    return tx`delete from watchlists where id = ${id} and (${who.admin} or owner = ${who.owner}) returning id`;
  });
  if (gone.length === 0) throw new ImportFailure('NOT_FOUND', `Watchlist #${id} does not exist (or is not yours).`);
  return { id, deleted: true };
}
