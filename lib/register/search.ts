import type { Sql } from '../db/client';
import { ImportFailure } from '../errors';
import { codeTexts, type Coded } from './codes';
import type { Language } from './language';
import { parseRegisterNumber } from './number';

/** What a search asks: a number or a name in `q`, and filters; every part optional, at least one given. */
export interface SearchQuery {
  q?: string;
  /** A NACE code (any version), exactly: `62010`. */
  nace?: string;
  /** A postcode (`9000`) or a municipality in NL or FR (`Gent`, `Gand`), accents and case aside. */
  place?: string;
  /** A juridical form code (`014`). With it or `status`, the results are enterprises. */
  form?: string;
  /** A status code (`AC`). */
  status?: string;
  /** 1-based. */
  page?: number;
}

export interface SearchHit {
  kind: 'enterprise' | 'establishment';
  number: string;
  /** The enterprise's primary name; an establishment's own name, else its enterprise's. */
  name: string | null;
  /** An establishment's enterprise (null for an enterprise). */
  enterpriseNumber: string | null;
  /** The enterprise's (for an establishment: its enterprise's). */
  juridicalForm: Coded;
  status: Coded;
  /** The registered seat (an establishment: its own address), one line. */
  address: string | null;
}

export interface SearchResult {
  /** How the hits were found: the number itself, by name (`similar`: no name starts with the text, so by similar spelling), or by filters only. */
  match: 'number' | 'name' | 'similar' | 'filters';
  hits: SearchHit[];
  page: number;
  pageSize: number;
  hasMore: boolean;
  /** The NACE filter's description in the chosen language (null without one, or when the code table has none). */
  naceText: string | null;
}

export const PAGE_SIZE = 20;
/** Pages beyond this are refused: a search is for finding, and deep pages cost more to compute. */
export const MAX_PAGE = 50;
/** The most rows a similar-spelling search ranks: the first the trigram index finds. */
const SIMILAR_CANDIDATES = 2000;
const SIMILARITY = 0.6;

const CODE = /^[A-Za-z0-9]{1,10}$/;

/** The query, checked: each filter a plain code, a page in range. Pure. */
export function checkQuery(query: SearchQuery): Required<Pick<SearchQuery, 'page'>> & SearchQuery {
  const trimmed = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const q = trimmed(query.q);
  const nace = trimmed(query.nace)?.replace(/\./g, '');
  const place = trimmed(query.place);
  const form = trimmed(query.form);
  const status = trimmed(query.status)?.toUpperCase();
  const page = query.page ?? 1;
  if (!q && !nace && !place && !form && !status) throw new ImportFailure('VALIDATION', 'Give a number or a name to search for, or a filter (NACE code, place, juridical form or status).');
  if (q && q.length > 200) throw new ImportFailure('VALIDATION', 'The search text is longer than 200 characters.');
  for (const [name, v] of [['nace', nace], ['form', form], ['status', status]] as const) {
    if (v !== undefined && !CODE.test(v)) throw new ImportFailure('VALIDATION', `${name} must be a code of letters and digits, such as ${name === 'nace' ? '62010' : name === 'form' ? '014' : 'AC'}.`);
  }
  if (place && place.length > 80) throw new ImportFailure('VALIDATION', 'place is longer than 80 characters.');
  if (!Number.isInteger(page) || page < 1 || page > MAX_PAGE) throw new ImportFailure('VALIDATION', `page must be a whole number from 1 to ${MAX_PAGE}.`);
  return { q, nace, place, form, status, page };
}

/** A query from URL parameters (the API's and the page's): unknown parameters are ignored. Pure. */
export function searchQueryOf(params: URLSearchParams): SearchQuery {
  const get = (name: string) => params.get(name) ?? undefined;
  const page = get('page');
  if (page !== undefined && !/^\d{1,3}$/.test(page)) throw new ImportFailure('VALIDATION', `page must be a whole number from 1 to ${MAX_PAGE}.`);
  return { q: get('q'), nace: get('nace'), place: get('place'), form: get('form'), status: get('status'), page: page === undefined ? undefined : Number(page) };
}

/** Does `q` look like a register number, even a mistyped one (digits with the usual separators)? */
const looksLikeNumber = (q: string) => /^(BE\s*)?[\d\s./-]{9,}$/i.test(q.trim()) && /\d{3}/.test(q);

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

/** `text` folded as the name indexes fold it (kbo_fold, migration 0013): the one definition is the SQL one. */
async function fold(sql: Sql, text: string): Promise<string | null> {
  const [row] = await sql<{ folded: string | null }[]>`select kbo_fold(${text}) as folded`;
  return row?.folded ?? null;
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
    for (const { n } of rows) if (!seen.has(n)) (seen.add(n), out.push(n));
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

/** Zipcodes of a place: the postcode itself, or every postcode whose municipality (NL or FR; the one its first address names) folds to the same text. */
async function zipcodesOf(sql: Sql, place: string): Promise<string[]> {
  if (/^\d{4,5}$/.test(place)) return [place];
  const towns = await municipalities(sql);
  const folded = await fold(sql, place);
  const zips = towns.filter((t) => t.nl === folded || t.fr === folded).map((t) => t.zip);
  return zips;
}

let townCache: { key: string; towns: { zip: string; nl: string | null; fr: string | null }[] } | undefined;

/**
 * Every postcode in the register's current addresses with its municipality's folded names,
 * read by skipping from one postcode to the next on the postcode index (a few thousand index
 * probes), and kept until an import or a rollback changes the addresses (the last jobs' states are the key).
 */
async function municipalities(sql: Sql): Promise<{ zip: string; nl: string | null; fr: string | null }[]> {
  const [state] = await sql<{ key: string }[]>`
    select current_database() || '/' || coalesce(string_agg(id || ':' || status, ',' order by id), '') as key
    from (select id, status from import_jobs order by id desc limit 5) recent`;
  const key = state?.key ?? '';
  if (townCache?.key === key) return townCache.towns;
  const towns = await sql<{ zip: string; nl: string | null; fr: string | null }[]>`
    with recursive z(zip) as (
      (select zipcode from addresses where is_current and zipcode is not null order by zipcode limit 1)
      union all
      select (select zipcode from addresses where is_current and zipcode > z.zip order by zipcode limit 1) from z where z.zip is not null
    )
    select z.zip, kbo_fold(a.municipality_nl) as nl, kbo_fold(a.municipality_fr) as fr
    from z cross join lateral (
      select municipality_nl, municipality_fr from addresses where is_current and zipcode = z.zip limit 1
    ) a
    where z.zip is not null`;
  townCache = { key, towns: [...towns] };
  return townCache.towns;
}

async function naceDescription(sql: Sql, nace: string, language: Language): Promise<string | null> {
  const versions = await sql<{ category: string }[]>`
    select distinct category from codes where is_current and code = ${nace} and category like 'Nace%' order by category desc`;
  if (versions.length === 0) return null;
  const texts = await codeTexts(sql, versions.map((v) => [v.category, nace]), language);
  return texts.get(`${versions[0]!.category}\u0000${nace}`) ?? null;
}

type HitRow = {
  n: string;
  ent_status: string | null;
  ent_form: string | null;
  primary_name: string | null;
  parent: string | null;
  parent_status: string | null;
  parent_form: string | null;
  parent_name: string | null;
  own_name: string | null;
  zipcode: string | null;
  municipality_nl: string | null;
  municipality_fr: string | null;
  street_nl: string | null;
  street_fr: string | null;
  house_number: string | null;
  box: string | null;
  is_enterprise: boolean;
};

/**
 * The result lines for these numbers, in their order: one per number, even when the register
 * holds two current rows for it (a FULL may list a key twice with different values); the
 * latest is shown.
 */
async function hitsOf(sql: Sql, numbers: string[], language: Language): Promise<SearchHit[]> {
  if (numbers.length === 0) return [];
  const rows = await sql<HitRow[]>`
    select w.n, ent.status as ent_status, ent.juridical_form as ent_form, ent.primary_name, ent.enterprise_number is not null as is_enterprise,
           est.enterprise_number as parent, par.status as parent_status, par.juridical_form as parent_form, par.primary_name as parent_name,
           d.denomination as own_name, a.zipcode, a.municipality_nl, a.municipality_fr, a.street_nl, a.street_fr, a.house_number, a.box
    from unnest(${numbers}::text[]) with ordinality as w(n, i)
    left join lateral (
      select status, juridical_form, primary_name, enterprise_number from enterprises
      where enterprise_number = w.n and is_current order by id desc limit 1) ent on true
    left join lateral (
      select enterprise_number from establishments where establishment_number = w.n and is_current order by id desc limit 1) est on true
    left join lateral (
      select status, juridical_form, primary_name from enterprises
      where enterprise_number = est.enterprise_number and is_current order by id desc limit 1) par on true
    left join lateral (
      select denomination from denominations where entity_number = w.n and is_current
      order by type_of_denomination, language, denomination limit 1) d on true
    left join lateral (
      select zipcode, municipality_nl, municipality_fr, street_nl, street_fr, house_number, box from addresses
      where entity_number = w.n and is_current order by type_of_address = 'REGO' desc, type_of_address, zipcode limit 1) a on true
    order by w.i`;
  const pairs: [string, string | null][] = rows.flatMap((r) => [
    ['JuridicalForm', r.ent_form ?? r.parent_form],
    ['Status', r.ent_status ?? r.parent_status],
  ]);
  const text = await codeTexts(sql, pairs, language);
  const coded = (category: string, code: string | null): Coded => ({ code, text: code ? (text.get(`${category}\u0000${code}`) ?? null) : null });
  const fr = language === 'fr';
  return rows.map((r) => {
    const street = fr ? (r.street_fr ?? r.street_nl) : (r.street_nl ?? r.street_fr);
    const town = fr ? (r.municipality_fr ?? r.municipality_nl) : (r.municipality_nl ?? r.municipality_fr);
    const line = [[street, r.house_number, r.box ? `box ${r.box}` : null].filter(Boolean).join(' '), [r.zipcode, town].filter(Boolean).join(' ')].filter(Boolean).join(', ');
    return {
      kind: r.is_enterprise ? 'enterprise' : 'establishment',
      number: r.n,
      name: r.is_enterprise ? (r.primary_name ?? r.own_name) : (r.own_name ?? r.parent_name),
      enterpriseNumber: r.is_enterprise ? null : r.parent,
      juridicalForm: coded('JuridicalForm', r.ent_form ?? r.parent_form),
      status: coded('Status', r.ent_status ?? r.parent_status),
      address: line || null,
    };
  });
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
