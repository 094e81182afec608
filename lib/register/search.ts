import type { Sql } from '../db/client';
import { ImportFailure } from '../errors';
import { codeTexts, type Coded } from './codes';
import type { Language } from './language';
import { hitsOf } from './hits';
import { parseRegisterNumber } from './number';
import { fold, zipcodesOf } from './places';
import { checkQuery, looksLikeNumber, PAGE_SIZE, type SearchQuery, type SearchResult } from './search-query';

export { checkQuery, MAX_PAGE, PAGE_SIZE, searchQueryOf, type SearchHit, type SearchQuery, type SearchResult } from './search-query';

/** The most rows a similar-spelling search ranks: the first the trigram index finds. */
const SIMILAR_CANDIDATES = 2000;
const SIMILARITY = 0.6;


/**
 * Searches the register's current rows. A number finds that entity. A name is folded (accents,
 * case and punctuation aside) and found by prefix of any current denomination, in
 * alphabetical order; when no name starts with it, by similar spelling (pg_trgm's word
 * similarity, best first). Filters
 * narrow either, or alone list matching entities in number order. Each part walks an index
 * (migration 0014), and a page reads at most a few pages' worth of rows.
 */
export async function searchRegister(sql: Sql, raw: SearchQuery, language: Language = 'nl'): Promise<SearchResult> {
  const query = checkQuery(raw);
  const { page } = query;
  const offset = (page - 1) * PAGE_SIZE;
  const want = offset + PAGE_SIZE + 1; // one more than the page: is there a next one?
  const zips = query.place ? await zipcodesOf(sql, query.place) : undefined;
  const naceText = query.nace ? await naceDescription(sql, query.nace, language) : null;
  const filter = filterSql(sql, { ...query, zips });

  let match: SearchResult['match'];
  let numbers: string[];
  if (query.q && looksLikeNumber(query.q)) {
    const parsed = parseRegisterNumber(query.q);
    if (!parsed.ok) throw new ImportFailure('VALIDATION', parsed.message);
    match = 'number';
    const rows = await sql<{ n: string }[]>`select ${parsed.number}::text as n where ${filter(sql`${parsed.number}::text`)}`;
    numbers = rows.map((r) => r.n);
  } else if (query.q) {
    const found = await byName(sql, query.q, want, filter);
    match = found.similar ? 'similar' : 'name';
    numbers = found.numbers;
  } else {
    match = 'filters';
    numbers = await byFilters(sql, { ...query, zips }, offset, filter);
  }
  const pageNumbers = match === 'filters' ? numbers : numbers.slice(offset);
  const hits = await hitsOf(sql, pageNumbers.slice(0, PAGE_SIZE), language);
  return { match, hits, page, pageSize: PAGE_SIZE, hasMore: pageNumbers.length > PAGE_SIZE, naceText };
}

type Fragment = ReturnType<Sql>;
type Filter = (n: Fragment) => Fragment;

/**
 * The filters as one SQL condition on an entity number `n`: each an index probe by number.
 * The entity must be a current enterprise or establishment (a branch's names are not results).
 */
function filterSql(sql: Sql, f: SearchQuery & { zips?: string[] }): Filter {
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
function prefixEnd(prefix: string): string {
  const points = [...prefix];
  const last = points.pop() as string;
  return points.join('') + String.fromCodePoint((last.codePointAt(0) as number) + 1);
}

/** Entity numbers by name: prefix matches in name order, or else similar names best first; at most `want`. */
async function byName(sql: Sql, q: string, want: number, filter: Filter): Promise<{ numbers: string[]; similar: boolean }> {
  const folded = await fold(sql, q);
  if (!folded) throw new ImportFailure('VALIDATION', 'The search text has no letters or digits to search for.');
  const lo = folded;
  const hi = prefixEnd(folded);
  const out: string[] = [];
  const seen = new Set<string>();
  const take = (rows: { n: string }[]) => {
    for (const { n } of rows) {
      if (seen.has(n)) continue;
      seen.add(n);
      out.push(n);
    }
  };
  // An entity may have several names with the prefix: read on from where the last read
  // stopped (name, then number) until there are enough entities or no more names.
  let after: { f: string; n: string } | null = null;
  for (let reads = 0; out.length < want && reads < 20; reads++) {
    const rows: { n: string; f: string }[] = await sql<{ n: string; f: string }[]>`
      select d.entity_number as n, kbo_fold(d.denomination) collate "C" as f from denominations d
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
  if (out.length > 0) return { numbers: out.slice(0, want), similar: false };
  const longest = folded.split(' ').reduce((a, b) => (b.length > a.length ? b : a), '');
  const driver = longest.length >= 3 ? longest : folded;
  take(
    await sql<{ n: string }[]>`
      select n from (
        select d.entity_number as n, max(word_similarity(${folded}, d.f)) as score
        from (
          select d.entity_number, kbo_fold(d.denomination) as f from denominations d
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
  return { numbers: out.slice(0, want), similar: true };
}

/** Entity numbers matching the filters alone, in number order: one page and one more, after `offset`. */
async function byFilters(sql: Sql, f: SearchQuery & { zips?: string[] }, offset: number, filter: Filter): Promise<string[]> {
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

async function naceDescription(sql: Sql, nace: string, language: Language): Promise<string | null> {
  const versions = await sql<{ category: string }[]>`
    select distinct category from codes where is_current and code = ${nace} and category like 'Nace%' order by category desc`;
  if (versions.length === 0) return null;
  const texts = await codeTexts(sql, versions.map((v) => [v.category, nace]), language);
  return texts.get(`${versions[0]!.category}\u0000${nace}`) ?? null;
}

/** The juridical forms and statuses the code table names, for the search form's choices, in `language` (else NL, else FR). */
export async function searchChoices(sql: Sql, language: Language = 'nl'): Promise<{ forms: Coded[]; statuses: Coded[] }> {
  const order = [...new Set([language.toUpperCase(), 'NL', 'FR'])];
  const rows = await sql<{ category: string; code: string; description: string | null }[]>`
    select distinct on (category, code) category, code, description from codes
    where is_current and category in ('JuridicalForm', 'Status') and language = any(${order}::text[])
    order by category, code, array_position(${order}::text[], language::text)`;
  const of = (category: string) =>
    rows
      .filter((r) => r.category === category)
      .map((r) => ({ code: r.code, text: r.description }))
      .sort((a, b) => (a.text ?? a.code).localeCompare(b.text ?? b.code));
  return { forms: of('JuridicalForm'), statuses: of('Status') };
}
