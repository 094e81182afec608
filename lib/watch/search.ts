import type { Queryable, Sql, Tx } from '../db/client';
import { ident, type Fragment } from '../db/sql';
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
function stood(sql: Queryable, a: string, n: number, side: 'before' | 'after' | 'either'): Fragment {
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
  const tied = job.initial
    ? []
    : await tx<{ s: string }[]>`
        select e.enterprise_number as s from establishments e where e.establishment_number = any(${candidates}::text[]) and ${stood(tx, 'e', n, 'either')} and e.enterprise_number is not null
        union select b.enterprise_number from branches b where b.branch_id = any(${candidates}::text[]) and ${stood(tx, 'b', n, 'either')} and b.enterprise_number is not null`;
  const subjects = [...new Set([...candidates, ...tied.map((r) => r.s)])];
  const held = await searchHolds(tx, f, subjects, n, job.initial);
  return { subjects: subjects.filter((x) => held.has(x)).sort(), next };
}

/**
 * Of `subjects`, those the search held for on either side of extract `n` (after only, for a FULL
 * into an empty register). Each table the search asks of is read once for all of them (`= any`,
 * an index scan per partition), its rows marked with the sides they stood on, and the filters
 * are tried here: a probe per entity and filter costs more than the reading.
 */
async function searchHolds(tx: Tx, f: ResolvedSearch, subjects: string[], n: number, initial: boolean): Promise<Set<string>> {
  if (f.empty || subjects.length === 0) return new Set();
  const sides = initial ? (['after'] as const) : (['before', 'after'] as const);
  type Facts = { b: boolean; a: boolean };
  const read = async (rows: Promise<{ k: string; b: boolean; a: boolean }[]>) => {
    const out = new Map<string, Facts>();
    for (const r of await rows) {
      const x = out.get(r.k) ?? { b: false, a: false };
      out.set(r.k, { b: x.b || r.b, a: x.a || r.a });
    }
    return out;
  };
  const marks = (a: string) => tx`${stood(tx, a, n, 'before')} as b, ${stood(tx, a, n, 'after')} as a`;
  const within = (a: string) => stood(tx, a, n, 'either');
  const enterpriseOnly = f.form !== undefined || f.status !== undefined;
  const own = await read(
    enterpriseOnly
      ? tx<{ k: string; b: boolean; a: boolean }[]>`
          select x.enterprise_number as k, ${marks('x')} from enterprises x where x.enterprise_number = any(${subjects}::text[]) and ${within('x')}
            ${f.form !== undefined ? tx`and x.juridical_form = ${f.form}` : tx``} ${f.status !== undefined ? tx`and x.status = ${f.status}` : tx``}`
      : tx<{ k: string; b: boolean; a: boolean }[]>`
          select x.enterprise_number as k, ${marks('x')} from enterprises x where x.enterprise_number = any(${subjects}::text[]) and ${within('x')}
          union all
          select x.establishment_number, ${marks('x')} from establishments x where x.establishment_number = any(${subjects}::text[]) and ${within('x')}`,
  );
  const filters: Map<string, Facts>[] = [own];
  if (f.nace !== undefined) {
    filters.push(await read(tx`select x.entity_number as k, ${marks('x')} from activities x where x.entity_number = any(${subjects}::text[]) and x.nace_code = ${f.nace} and ${within('x')}`));
  }
  if (f.zips !== undefined) {
    filters.push(await read(tx`select x.entity_number as k, ${marks('x')} from addresses x where x.entity_number = any(${subjects}::text[]) and x.zipcode = any(${f.zips}::text[]) and ${within('x')}`));
  }
  if (f.number !== undefined) filters.push(new Map(subjects.includes(f.number) ? [[f.number, { b: true, a: true }]] : []));
  if (f.prefix !== undefined) {
    filters.push(
      await read(tx`
        select x.entity_number as k, ${marks('x')} from denominations x where x.entity_number = any(${subjects}::text[]) and ${within('x')}
          and kbo_fold(x.denomination) collate "C" >= ${f.prefix.lo} and kbo_fold(x.denomination) collate "C" < ${f.prefix.hi}`),
    );
  }
  // Every filter on the same side: the search held for it then.
  return new Set(subjects.filter((x) => sides.some((side) => filters.every((m) => (side === 'after' ? m.get(x)?.a : m.get(x)?.b)))));
}

