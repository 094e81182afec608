import { cookies } from 'next/headers';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { getDb } from '@/lib/db/client';
import { describeIndexing, indexingProgress } from '@/lib/imports';
import { isImportFailure } from '@/lib/errors';
import { checkQuery, codeLabel, type Coded, LANGUAGE_COOKIE, savedLanguage, searchChoices, type SearchHit, type SearchQuery, searchQueryOf, searchRegister, type SearchResult } from '@/lib/register';
import { DataTable } from '../_components/data-table';
import { DatabaseUnavailable } from '../_components/database-unavailable';
import { readPageData } from '../_lib/read';
import { requireUser } from '../_lib/session';
import { LanguageToggle } from './_components/language-toggle';
import { SearchForm } from './_components/search-form';

export const dynamic = 'force-dynamic';

type Params = Record<string, string | string[] | undefined>;

/** The register: search by number, name and filters; a number that names one entity opens it. */
export default async function RegisterPage({ searchParams }: { searchParams: Promise<Params> }) {
  const raw = await searchParams;
  const params = new URLSearchParams(Object.entries(raw).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])));
  await requireUser(`/register${params.size ? `?${params}` : ''}`);
  const lang = savedLanguage((await cookies()).get(LANGUAGE_COOKIE)?.value);

  let query: SearchQuery = {};
  let problem: string | null = null;
  try {
    query = searchQueryOf(params);
  } catch (err) {
    problem = (err as Error).message;
  }
  const asked = Boolean(query.q?.trim() || query.nace?.trim() || query.place?.trim() || query.form?.trim() || query.status?.trim());
  const read = await readPageData(async () => {
    const sql = await getDb();
    const [choices, building] = await Promise.all([searchChoices(sql, lang), indexingProgress(sql)]);
    if (problem || !asked) return { choices, building, result: null, problem };
    try {
      return { choices, building, result: await searchRegister(sql, query, lang), problem: null };
    } catch (err) {
      if (isImportFailure(err) && err.code === 'VALIDATION') return { choices, building, result: null, problem: err.message };
      throw err;
    }
  });
  if (!read.ok) return <DatabaseUnavailable message={read.message} />;
  const { choices, result } = read.data;
  const only = result?.match === 'number' ? result.hits[0] : undefined;
  if (only) redirect(`/register/${only.number}`);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">Register</h1>
        <LanguageToggle current={lang} />
      </div>
      {params.get('admins') && (
        <p role="status" data-testid="admins-only" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          {params.get('admins')?.slice(0, 80)} is for admins: you are signed in as a reader, who searches the register, reads entities and change lists and keeps watchlists.
        </p>
      )}
      <p className="text-slate-700">Search the register as it stands now: an enterprise or establishment number in any common form, or a name (any denomination, accents and case aside, by prefix or similar spelling), narrowed by NACE code, place, juridical form or status.</p>
      <SearchForm query={query} choices={choices} />
      {read.data.building && (
        <p role="status" data-testid="register-indexing" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          {describeIndexing(read.data.building)}
        </p>
      )}
      {read.data.problem && (
        <p role="alert" data-testid="register-problem" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          {read.data.problem}
        </p>
      )}
      {result && <Results result={result} query={query} lang={lang} />}
    </div>
  );
}

function Results({ result, query, lang }: { result: SearchResult; query: SearchQuery; lang: string }) {
  const checked = checkQuery(query);
  const link = (page: number) => {
    const p = new URLSearchParams();
    for (const k of ['q', 'nace', 'place', 'form', 'status'] as const) if (checked[k]) p.set(k, checked[k] as string);
    p.set('page', String(page));
    return `/register?${p}`;
  };
  return (
    <section className="space-y-2" aria-label="Results">
      <p className="text-sm text-slate-600" data-testid="register-summary">
        {result.hits.length === 0
          ? 'Nothing in the register matches.'
          : `Page ${result.page}: ${result.hits.length} ${result.hits.length === 1 ? 'entity' : 'entities'}${result.match === 'name' ? ', names starting with the text, in alphabetical order' : result.match === 'similar' ? ': no name starts with the text; these are the most similar, best first' : ', in number order'}.`}
        {checked.nace && ` NACE ${checked.nace}${result.naceText ? `: ${result.naceText}` : ' (not in the code table)'}.`}
      </p>
      {result.hits.length > 0 && (
        <>
          {/* Wide screens: a table. */}
          <div className="hidden sm:block">
            <DataTable head={['number', 'name', 'juridical form', 'address', 'status']} testId="register-results">
              {result.hits.map((h) => (
                <tr key={h.number} className="border-t border-slate-100" data-testid="register-hit">
                  <td className="px-3 py-2 whitespace-nowrap">
                    <Link className="text-sky-700 underline underline-offset-2" href={`/register/${h.number}`}>
                      {h.number}
                    </Link>
                    {h.kind === 'establishment' && <span className="ml-1 text-xs text-slate-500">establishment</span>}
                  </td>
                  <td className="px-3 py-2">
                    {h.name ?? '—'}
                    <MatchedName hit={h} />
                  </td>
                  <td className="px-3 py-2">{codeText(h.juridicalForm, lang)}</td>
                  <td className="px-3 py-2">{h.address ?? '—'}</td>
                  <td className="px-3 py-2" data-testid="hit-status">
                    {codeText(h.status, lang)}
                  </td>
                </tr>
              ))}
            </DataTable>
          </div>
          {/* A phone: each hit a card, every field on it. */}
          <ul className="space-y-2 sm:hidden" data-testid="register-cards">
            {result.hits.map((h) => (
              <li key={h.number} className="rounded-md border border-slate-200 bg-white p-3 text-sm" data-testid="register-card">
                <Link className="font-medium text-sky-700 underline underline-offset-2" href={`/register/${h.number}`}>
                  {h.number}
                </Link>
                {h.kind === 'establishment' && <span className="ml-1 text-xs text-slate-500">establishment</span>}
                <p className="font-medium">
                  {h.name ?? '—'}
                  <MatchedName hit={h} />
                </p>
                <p className="text-slate-700">{h.address ?? 'no address'}</p>
                <p className="text-slate-600">
                  <span data-testid="card-status">{codeText(h.status, lang)}</span> · {codeText(h.juridicalForm, lang)}
                </p>
              </li>
            ))}
          </ul>
        </>
      )}
      <nav className="flex gap-3 text-sm" aria-label="Pages">
        {result.page > 1 && (
          <Link href={link(result.page - 1)} data-testid="register-previous" className="text-sky-700 underline underline-offset-2">
            Previous page
          </Link>
        )}
        {result.hasMore && (
          <Link href={link(result.page + 1)} data-testid="register-next" className="text-sky-700 underline underline-offset-2">
            Next page
          </Link>
        )}
      </nav>
    </section>
  );
}

/** A code's text (or the code), marked with its language when it fell back from the one chosen. */
const codeText = (c: Coded, lang: string): string => codeLabel(c, lang) ?? '—';

/** The name a search by name matched, when it is not the one shown. */
function MatchedName({ hit }: { hit: SearchHit }) {
  if (!hit.matchedName) return null;
  return (
    <span className="block text-xs text-slate-500" data-testid="hit-matched-name">
      found by the name {hit.matchedName}
    </span>
  );
}
