import { ImportFailure } from '../../errors';
import type { Coded } from './coded';

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
  /** A search by name: the name that matched, when it is not the one shown (a trade name, say). */
  matchedName?: string;
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
  for (const [name, v] of [['The search text', q], ['place', place]] as const) {
    // PostgreSQL's text holds no NUL: refused here, with a message, rather than failing in SQL.
    if (v?.includes('\u0000')) throw new ImportFailure('VALIDATION', `${name} contains a NUL character (\\0); type it again without it.`);
  }
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
export const looksLikeNumber = (q: string) => /^(BE\s*)?[\d\s./-]{9,}$/i.test(q.trim()) && /\d{3}/.test(q);
