import type { Coded, SearchQuery } from '@/lib/register';

const input = 'rounded-md border border-slate-300 px-3 py-2 text-sm';

/** The register's search: a plain GET form to /register, so it works before any script loads. */
export function SearchForm({ query = {}, choices }: { query?: SearchQuery; choices?: { forms: Coded[]; statuses: Coded[] } }) {
  return (
    <form action="/register" method="get" className="space-y-2" role="search" aria-label="Search the register">
      <div className="flex flex-wrap items-start gap-2">
        <label className="sr-only" htmlFor="register-q">
          Number or name
        </label>
        <input
          id="register-q"
          name="q"
          data-testid="register-q"
          className={`${input} w-96`}
          placeholder="0200.065.765, BE0200065765 or a name"
          defaultValue={query.q ?? ''}
        />
        <button type="submit" data-testid="register-search" className="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700">
          Search
        </button>
      </div>
      {choices && (
        <div className="flex flex-wrap gap-2 text-sm">
          <input name="nace" data-testid="filter-nace" aria-label="NACE code" className={`${input} w-32`} placeholder="NACE 62010" defaultValue={query.nace ?? ''} />
          <input name="place" data-testid="filter-place" aria-label="Postcode or municipality" className={`${input} w-48`} placeholder="Postcode or municipality" defaultValue={query.place ?? ''} />
          <select name="form" data-testid="filter-form" aria-label="Juridical form" className={`${input} w-64`} defaultValue={query.form ?? ''}>
            <option value="">Any juridical form</option>
            {choices.forms.map((f) => (
              <option key={f.code} value={f.code ?? ''}>
                {f.text ? `${f.text} (${f.code})` : f.code}
              </option>
            ))}
          </select>
          <select name="status" data-testid="filter-status" aria-label="Status" className={`${input} w-40`} defaultValue={query.status ?? ''}>
            <option value="">Any status</option>
            {choices.statuses.map((s) => (
              <option key={s.code} value={s.code ?? ''}>
                {s.text ?? s.code}
              </option>
            ))}
          </select>
        </div>
      )}
    </form>
  );
}
