import type { Sql } from '../../db/client';
import type { Fragment } from '../../db/sql';
import { ImportFailure } from '../../errors';
import { PAGE_SIZE, type SearchQuery } from '../query/search-query';
import { fold } from './places';

/** The statements that find entity numbers for a search: by number, by name, by filters alone. */

/** The most rows a similar-spelling search ranks: the first the trigram index finds. */
const SIMILAR_CANDIDATES = 2000;
const SIMILARITY = 0.6;

/** The number itself, when it names a current entity the filters keep. */
export async function numberMatches(sql: Sql, number: string, filter: Filter): Promise<string[]> {
  const rows = await sql<{ n: string }[]>`select ${number}::text as n where ${filter(sql`${number}::text`)}`;
  return rows.map((r) => r.n);
}

/** A condition on an entity number. */
export type Filter = (n: Fragment) => Fragment;

/**
 * The filters as one SQL condition on an entity number `n`: each an index probe by number.
 * The entity must be a current enterprise or establishment (a branch's names are not results).
 */
export function filterSql(sql: Sql, f: SearchQuery & { zips?: string[] }): Filter {
  return (n) => {
    const enterpriseOnly = f.form !== undefined || f.status !== undefined;
    const parts: Fragment[] = [
      enterpriseOnly
        ? sql`exists (select 1 from enterprises e where e.enterprise_number = ${n} and e.is_current
                ${f.form !== undefined ? sql`and e.juridical_form = ${f.form}` : sql``}
                ${f.status !== undefined ? sql`and e.status = ${f.status}` : sql``})`
        : sql`(exists (select 1 from enterprises e where e.enterprise_number = ${n} and e.is_current)
               or exists (select 1 from establishments s where s.establishment_number = ${n} and s.is_current))`,
    ];
    if (f.nace !== undefined) parts.push(sql`exists (select 1 from activities a where a.nace_code = ${f.nace} and a.entity_number = ${n} and a.is_current)`);
    if (f.zips !== undefined) parts.push(sql`exists (select 1 from addresses ad where ad.entity_number = ${n} and ad.is_current and ad.zipcode = any(${f.zips}::text[]))`);
    return parts.reduce((a, b) => sql`${a} and ${b}`);
  };
}

/** The next string after every string that starts with `prefix`, in bytewise (C) order. */
export function prefixEnd(prefix: string): string {
  const points = [...prefix];
  const last = points.pop() as string;
  return points.join('') + String.fromCodePoint((last.codePointAt(0) as number) + 1);
}

/**
 * Entity numbers by name: prefix matches in name order, or else similar names best first; at
 * most `want`. `names`: per number, the names that matched as read (in name order; the most
 * similar), which need not include the entity's main name.
 */
export async function byName(sql: Sql, q: string, want: number, filter: Filter): Promise<{ numbers: string[]; similar: boolean; names: Map<string, string[]> }> {
  const folded = await fold(sql, q);
  if (!folded) throw new ImportFailure('VALIDATION', 'The search text has no letters or digits to search for.');
  const lo = folded;
  const hi = prefixEnd(folded);
  const out: string[] = [];
  const names = new Map<string, string[]>();
  const take = (rows: { n: string; name: string | null }[]) => {
    for (const { n, name } of rows) {
      const seen = names.get(n);
      if (seen) {
        if (name !== null) seen.push(name);
        continue;
      }
      names.set(n, name === null ? [] : [name]);
      out.push(n);
    }
  };
  // An entity may have several names with the prefix: read on from where the last read
  // stopped (name, then number) until there are enough entities or no more names.
  let after: { f: string; n: string } | null = null;
  for (let reads = 0; out.length < want && reads < 20; reads++) {
    const rows: { n: string; f: string; name: string | null }[] = await sql<{ n: string; f: string; name: string | null }[]>`
      select d.entity_number as n, kbo_fold(d.denomination) collate "C" as f, d.denomination as name from denominations d
      where d.is_current and kbo_fold(d.denomination) collate "C" >= ${lo} and kbo_fold(d.denomination) collate "C" < ${hi}
        ${after ? sql`and (kbo_fold(d.denomination) collate "C", d.entity_number) > (${after.f}::text collate "C", ${after.n}::text collate "C")` : sql``}
        and ${filter(sql`d.entity_number`)}
      order by kbo_fold(d.denomination) collate "C", d.entity_number
      limit ${want * 3}`;
    take(rows);
    if (rows.length < want * 3) break;
    const last = rows[rows.length - 1] as { n: string; f: string };
    after = { f: last.f, n: last.n };
  }
  // Names of similar spelling, when no name starts with the text: the trigram index finds
  // candidates by the text's longest word (the short and common ones, "nv", "de", would make
  // it read most of the index), at most SIMILAR_CANDIDATES rows, ranked by the word similarity
  // of the whole text (at least SIMILARITY, pg_trgm's own default threshold).
  if (out.length > 0) return { numbers: out.slice(0, want), similar: false, names };
  const longest = folded.split(' ').reduce((a, b) => (b.length > a.length ? b : a), '');
  const driver = longest.length >= 3 ? longest : folded;
  take(
    await sql<{ n: string; name: string | null }[]>`
      select n, name from (
        select d.entity_number as n, max(word_similarity(${folded}, d.f)) as score,
               (array_agg(d.denomination order by word_similarity(${folded}, d.f) desc, d.denomination))[1] as name
        from (
          select d.entity_number, kbo_fold(d.denomination) as f, d.denomination from denominations d
          where d.is_current and ${driver} <% kbo_fold(d.denomination)
            and word_similarity(${folded}, kbo_fold(d.denomination)) >= ${SIMILARITY}
            and ${filter(sql`d.entity_number`)}
          limit ${SIMILAR_CANDIDATES}
        ) d
        group by d.entity_number
        order by score desc, d.entity_number
        limit ${want * 2}
      ) ranked`,
  );
  return { numbers: out.slice(0, want), similar: true, names };
}

/** Entity numbers matching the filters alone, in number order: one page and one more, after `offset`. */
export async function byFilters(sql: Sql, f: SearchQuery & { zips?: string[] }, offset: number, filter: Filter): Promise<string[]> {
  const limit = PAGE_SIZE + 1;
  // The most selective index drives (a postcode holds fewer entities than a common NACE code);
  // the other filters are probes by number.
  const driver = f.zips
    ? sql`select distinct entity_number as n from addresses where is_current and zipcode = any(${f.zips}::text[])`
    : f.nace
      ? sql`select distinct entity_number as n from activities where is_current and nace_code = ${f.nace}`
      : f.form
        ? sql`select enterprise_number as n from enterprises where is_current and juridical_form = ${f.form}`
        : sql`select enterprise_number as n from enterprises where is_current`;
  const rows = await sql<{ n: string }[]>`
    select n from (${driver}) driver where ${filter(sql`driver.n`)} order by n offset ${offset} limit ${limit}`;
  return rows.map((r) => r.n);
}
