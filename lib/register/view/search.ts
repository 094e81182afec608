import type { Sql } from '../../db/client';
import { ImportFailure } from '../../errors';
import { codeKey, type Coded } from '../query/coded';
import type { Language } from '../query/language';
import { parseRegisterNumber } from '../query/number';
import { checkQuery, looksLikeNumber, PAGE_SIZE, type SearchQuery, type SearchResult } from '../query/search-query';
import { codeChoices, codeTexts, naceVersionsOf } from '../sql/codes';
import { zipcodesOf } from '../sql/places';
import { byFilters, byName, filterSql, numberMatches } from '../sql/search';
import { hitsOf } from './hits';

/**
 * Searches the register's current rows. A number finds that entity. A name is folded (accents,
 * case and punctuation aside) and found by prefix of any current denomination, in
 * alphabetical order; when no name starts with it, by similar spelling (pg_trgm's word
 * similarity, best first). Filters narrow either, or alone list matching entities in number
 * order. Each part walks an index (migration 0014), and a page reads at most a few pages'
 * worth of rows.
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
  let matched = new Map<string, string[]>();
  if (query.q && looksLikeNumber(query.q)) {
    const parsed = parseRegisterNumber(query.q);
    if (!parsed.ok) throw new ImportFailure('VALIDATION', parsed.message);
    match = 'number';
    numbers = await numberMatches(sql, parsed.number, filter);
  } else if (query.q) {
    const found = await byName(sql, query.q, want, filter);
    match = found.similar ? 'similar' : 'name';
    numbers = found.numbers;
    matched = found.names;
  } else {
    match = 'filters';
    numbers = await byFilters(sql, { ...query, zips }, offset, filter);
  }
  const pageNumbers = match === 'filters' ? numbers : numbers.slice(offset);
  // The name that matched, beside the one shown, when the one shown did not match ("Dubois"
  // found by a trade name).
  const hits = (await hitsOf(sql, pageNumbers.slice(0, PAGE_SIZE), language)).map((h) => {
    const names = matched.get(h.number) ?? [];
    return names[0] !== undefined && !names.includes(h.name ?? '') ? { ...h, matchedName: names[0] } : h;
  });
  return { match, hits, page, pageSize: PAGE_SIZE, hasMore: pageNumbers.length > PAGE_SIZE, naceText };
}

/** The NACE code's text in the newest version that has it. */
async function naceDescription(sql: Sql, nace: string, language: Language): Promise<string | null> {
  const versions = await naceVersionsOf(sql, nace);
  if (versions.length === 0) return null;
  const texts = await codeTexts(sql, versions.map((v) => [v, nace]), language);
  return texts.get(codeKey(versions[0] as string, nace))?.text ?? null;
}

/** The juridical forms and statuses the code table names, for the search form's choices, in `language` (else NL, else FR). */
export async function searchChoices(sql: Sql, language: Language = 'nl'): Promise<{ forms: Coded[]; statuses: Coded[] }> {
  const rows = await codeChoices(sql, ['JuridicalForm', 'Status'], language);
  const of = (category: string) =>
    rows
      .filter((r) => r.category === category)
      .map((r) => ({ code: r.code, text: r.description, language: r.language }))
      .sort((a, b) => (a.text ?? a.code).localeCompare(b.text ?? b.code));
  return { forms: of('JuridicalForm'), statuses: of('Status') };
}
