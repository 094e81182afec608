import type { Queryable, Sql, Tx } from '../db/client';
import { ident, type Fragment } from '../db/sql';
import { parseRegisterNumber } from '../register/query/number';
import { looksLikeNumber, type SearchQuery } from '../register/query/search-query';
import { fold, zipcodesOf } from '../register/sql/places';

/**
 * A saved search tried on the entities an import changed: an entity is the search's when the
 * register's own filters held for it just before the import or just after it (one that left the
 * search, by stopping or moving away, is told too). The filters are those of the register's
 * search, read as of a side of extract `n` rather than now: a NACE code, a place (a postcode, or
 * a municipality's postcodes), a juridical form, a status, and a name prefix (or a number).
 */

export type SavedSearch = Pick<SearchQuery, 'q' | 'nace' | 'place' | 'form' | 'status'>;

/** The rows of alias `a` that stood just before extract `n` (`before`) or just after it. */
function stood(sql: Queryable, a: string, n: number, side: 'before' | 'after'): Fragment {
  const x = ident(sql, a);
  return side === 'after'
    ? sql`${x}.extract_number <= ${n} and (${x}.deleted_at_extract is null or ${x}.deleted_at_extract > ${n})`
    : sql`${x}.extract_number < ${n} and (${x}.deleted_at_extract is null or ${x}.deleted_at_extract >= ${n})`;
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
    else {
      const points = [...folded];
      const last = points.pop() as string;
      out.prefix = { lo: folded, hi: points.join('') + String.fromCodePoint((last.codePointAt(0) as number) + 1) };
    }
  }
  return out;
}

/** The search as a condition on entity number `e` (a fragment), as the register stood on `side` of extract `n`. */
export function searchHeld(sql: Queryable, f: ResolvedSearch, e: Fragment, n: number, side: 'before' | 'after'): Fragment {
  if (f.empty) return sql`false`;
  const parts: Fragment[] = [];
  if (f.form !== undefined || f.status !== undefined) {
    parts.push(sql`exists (select 1 from enterprises x where x.enterprise_number = ${e} and ${stood(sql, 'x', n, side)}
      ${f.form !== undefined ? sql`and x.juridical_form = ${f.form}` : sql``}
      ${f.status !== undefined ? sql`and x.status = ${f.status}` : sql``})`);
  } else {
    parts.push(sql`(exists (select 1 from enterprises x where x.enterprise_number = ${e} and ${stood(sql, 'x', n, side)})
      or exists (select 1 from establishments x where x.establishment_number = ${e} and ${stood(sql, 'x', n, side)}))`);
  }
  if (f.nace !== undefined) parts.push(sql`exists (select 1 from activities x where x.entity_number = ${e} and x.nace_code = ${f.nace} and ${stood(sql, 'x', n, side)})`);
  if (f.zips !== undefined) parts.push(sql`exists (select 1 from addresses x where x.entity_number = ${e} and x.zipcode = any(${f.zips}::text[]) and ${stood(sql, 'x', n, side)})`);
  if (f.number !== undefined) parts.push(sql`${e} = ${f.number}`);
  if (f.prefix !== undefined) {
    parts.push(sql`exists (select 1 from denominations x where x.entity_number = ${e} and ${stood(sql, 'x', n, side)}
      and kbo_fold(x.denomination) collate "C" >= ${f.prefix.lo} and kbo_fold(x.denomination) collate "C" < ${f.prefix.hi})`);
  }
  return parts.reduce((a, b) => sql`${a} and ${b}`);
}

/**
 * The entities of one search part that are the search's, and where the next part starts (null:
 * this was the last). The part's candidates are the next `size` entities from `lo` the import
 * changed, each with its enterprise (an establishment's, a branch's); for a FULL into an empty
 * register, every entity it loaded.
 */
export async function searchPart(
  tx: Tx,
  job: { id: number; n: number; initial: boolean },
  search: SavedSearch,
  lo: string | null,
  size: number,
): Promise<{ subjects: string[]; next: string | null }> {
  const n = job.n;
  const from = (column: Fragment) => tx`(${lo}::text is null or ${column} >= ${lo})`;
  // The part's range: the candidates from lo up to (not including) the (size+1)th.
  const rows = job.initial
    ? await tx<{ n: string }[]>`
        select n from (
          (select c.enterprise_number as n from enterprises c where ${stood(tx, 'c', n, 'after')} and ${from(tx`c.enterprise_number`)} order by 1 limit ${size + 1})
          union all
          (select c.establishment_number from establishments c where ${stood(tx, 'c', n, 'after')} and ${from(tx`c.establishment_number`)} order by 1 limit ${size + 1})
        ) x order by n limit ${size + 1}`
    : // Entities, not entries (an entity has one per table it changed in).
      await tx<{ n: string }[]>`select distinct c.n from import_changes c where c.job_id = ${job.id} and ${from(tx`c.n`)} order by c.n limit ${size + 1}`;
  const next = rows.length > size ? (rows[size] as { n: string }).n : null;
  const candidates = [...new Set((next === null ? rows : rows.filter((r) => r.n < next)).map((r) => r.n))];
  if (candidates.length === 0) return { subjects: [], next };
  const f = await resolveSearch(tx, search);
  // An establishment's or a branch's enterprise, as either stood on one side of the import or the other.
  // (Before a FULL into an empty register nothing stood: only after counts.)
  const either = (a: string) => tx`${ident(tx, a)}.extract_number <= ${n} and (${ident(tx, a)}.deleted_at_extract is null or ${ident(tx, a)}.deleted_at_extract >= ${n})`;
  const subjects = job.initial
    ? tx`select n as s from cand`
    : tx`select n as s from cand
         union select e.enterprise_number from cand join establishments e on e.establishment_number = cand.n and ${either('e')}
         union select b.enterprise_number from cand join branches b on b.branch_id = cand.n and ${either('b')}`;
  const found = await tx<{ s: string }[]>`
    with cand as (select unnest(${candidates}::text[]) as n), subj as (${subjects})
    select s from subj where (${searchHeld(tx, f, tx`subj.s`, n, 'after')})
      ${job.initial ? tx`` : tx`or (${searchHeld(tx, f, tx`subj.s`, n, 'before')})`}
    order by s`;
  return { subjects: found.map((r) => r.s), next };
}
