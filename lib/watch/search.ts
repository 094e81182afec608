import type { Queryable, Sql, Tx } from '../db/client';
import { eachPartition, ident, type Fragment } from '../db/sql';
import { parseRegisterNumber } from '../register/query/number';
import { looksLikeNumber, type SearchQuery } from '../register/query/search-query';
import { fold, zipcodesOf } from '../register/sql/places';
import { prefixEnd } from '../register/sql/search';

/**
 * A saved search tried on the entities an import changed: an entity is the search's when the
 * register's own filters held for it just before the import or just after it (one that left the
 * search, by stopping or moving away, is told too). The filters are those of the register's
 * search, read as of a side of extract `n` rather than now: a NACE code, a place (a postcode, or
 * a municipality's postcodes), a juridical form, a status, and a name prefix (or a number).
 */

export type SavedSearch = Pick<SearchQuery, 'q' | 'nace' | 'place' | 'form' | 'status'>;

/** The rows of alias `a` that stood just before extract `n` (`before`), just after it, or on either side. */
export function stood(sql: Queryable, a: string, n: number, side: 'before' | 'after' | 'either'): Fragment {
  const x = ident(sql, a);
  if (side === 'either') return sql`(${x}.extract_number <= ${n} and (${x}.deleted_at_extract is null or ${x}.deleted_at_extract >= ${n}))`;
  return side === 'after'
    ? sql`(${x}.extract_number <= ${n} and (${x}.deleted_at_extract is null or ${x}.deleted_at_extract > ${n}))`
    : sql`(${x}.extract_number < ${n} and (${x}.deleted_at_extract is null or ${x}.deleted_at_extract >= ${n}))`;
}

/** The search, resolved once per part: a place's postcodes, a name's folded prefix, a number. */
export interface ResolvedSearch extends SavedSearch {
  zips?: string[];
  number?: string;
  prefix?: { lo: string; hi: string };
  /** A name or a number that can match nothing (no letters, a number that does not check). */
  empty?: boolean;
}

export async function resolveSearch(sql: Queryable, s: SavedSearch): Promise<ResolvedSearch> {
  const out: ResolvedSearch = { ...s };
  if (s.place) out.zips = await zipcodesOf(sql as Sql, s.place);
  if (s.q && looksLikeNumber(s.q)) {
    const parsed = parseRegisterNumber(s.q);
    if (parsed.ok) out.number = parsed.number;
    else out.empty = true;
  } else if (s.q) {
    const folded = await fold(sql as Sql, s.q);
    if (!folded) out.empty = true;
    else out.prefix = { lo: folded, hi: prefixEnd(folded) };
  }
  return out;
}

type Sides = { b: boolean; a: boolean };

/**
 * What the saved searches ask of a part's numbers, read once for all the searches and all the
 * numbers (each table a branch per partition, see eachPartition), with the sides of extract `n`
 * each row stood on: their own row (an enterprise's form and status, or an establishment), the
 * activities of the searches' NACE codes, the addresses at their places, the names under their
 * prefixes. Then `holds` tries a search on a number here: a probe per number and filter costs
 * more than the reading.
 */
export async function searchFacts(tx: Tx, n: number, subjects: string[], searches: ResolvedSearch[], initial: boolean) {
  const live = searches.filter((f) => !f.empty);
  const marks = tx`${stood(tx, 'x', n, 'before')} as b, ${stood(tx, 'x', n, 'after')} as a`;
  const either = stood(tx, 'x', n, 'either');
  const grouped = async <R extends Sides & { k: string }>(table: string, branch: (from: Fragment, keys: string[]) => Fragment, wanted: boolean) => {
    const out = new Map<string, R[]>();
    const query = wanted ? eachPartition(tx, table, subjects, branch) : null;
    for (const r of query ? await tx<R[]>`${query}` : []) {
      const list = out.get(r.k);
      if (list) list.push(r);
      else out.set(r.k, [r]);
    }
    return out;
  };
  const naces = [...new Set(live.flatMap((f) => (f.nace === undefined ? [] : [f.nace])))];
  const zips = [...new Set(live.flatMap((f) => f.zips ?? []))];
  const prefixes = live.flatMap((f) => (f.prefix ? [f.prefix] : []));
  type Own = Sides & { k: string; form: string | null; status: string | null; enterprise: boolean };
  const own = new Map<string, Own[]>();
  for (const m of [
    await grouped<Own>('enterprises', (from, keys) => tx`
      select x.enterprise_number as k, x.juridical_form as form, x.status, true as enterprise, ${marks}
      from ${from} x where x.enterprise_number = any(${keys}::text[]) and ${either}`, live.length > 0),
    await grouped<Own>('establishments', (from, keys) => tx`
      select x.establishment_number as k, null::text as form, null::text as status, false as enterprise, ${marks}
      from ${from} x where x.establishment_number = any(${keys}::text[]) and ${either}`, live.length > 0),
  ]) for (const [k, rows] of m) own.set(k, [...(own.get(k) ?? []), ...rows]);
  const activities = await grouped<Sides & { k: string; nace: string }>('activities', (from, keys) => tx`
    select x.entity_number as k, x.nace_code as nace, ${marks}
    from ${from} x where x.entity_number = any(${keys}::text[]) and x.nace_code = any(${naces}::text[]) and ${either}`, naces.length > 0);
  const addresses = await grouped<Sides & { k: string; zip: string }>('addresses', (from, keys) => tx`
    select x.entity_number as k, x.zipcode as zip, ${marks}
    from ${from} x where x.entity_number = any(${keys}::text[]) and x.zipcode = any(${zips}::text[]) and ${either}`, zips.length > 0);
  // Each name with the prefixes (their places in \`prefixes\`) it falls under, as the register's search compares them (folded once per name: unaccent and a regular expression).
  const names = await grouped<Sides & { k: string; under: number[] }>('denominations', (from, keys) => tx`
    select y.k, y.b, y.a, y.under from (
      select x.entity_number as k, ${marks},
             array(select p.i::int from unnest(${prefixes.map((p) => p.lo)}::text[], ${prefixes.map((p) => p.hi)}::text[]) with ordinality as p(lo, hi, i)
                   where f.name >= p.lo and f.name < p.hi) as under
      from ${from} x cross join lateral (select kbo_fold(x.denomination) collate "C" as name offset 0) f
      where x.entity_number = any(${keys}::text[]) and ${either}) y
    where cardinality(y.under) > 0`, prefixes.length > 0);
  const sides = initial ? (['a'] as const) : (['b', 'a'] as const);
  /** Whether search `f` held for number `x` on a side of the import: every filter on that same side. */
  const holds = (f: ResolvedSearch, x: string): boolean => {
    if (f.empty) return false;
    if (f.number !== undefined && f.number !== x) return false;
    const enterpriseOnly = f.form !== undefined || f.status !== undefined;
    const p = f.prefix ? prefixes.indexOf(f.prefix) + 1 : 0;
    return sides.some(
      (side) =>
        (own.get(x) ?? []).some((r) => r[side] && (!enterpriseOnly || r.enterprise) && (f.form === undefined || r.form === f.form) && (f.status === undefined || r.status === f.status)) &&
        (f.nace === undefined || (activities.get(x) ?? []).some((r) => r[side] && r.nace === f.nace)) &&
        (f.zips === undefined || (addresses.get(x) ?? []).some((r) => r[side] && f.zips?.includes(r.zip))) &&
        (p === 0 || (names.get(x) ?? []).some((r) => r[side] && r.under.includes(p))),
    );
  };
  return { holds };
}
