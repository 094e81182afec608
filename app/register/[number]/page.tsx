import { cookies } from 'next/headers';
import Link from 'next/link';
import { isImportFailure } from '@/lib/errors';
import { getDb } from '@/lib/db/client';
import { followState } from '@/lib/watch';
import { asOfExtract, asOfParam, codeLabel, type Coded, entityHistory, entityView, type EntityView, fellBack, type HistoryEvent, LANGUAGE_COOKIE, savedLanguage } from '@/lib/register';
import { DataTable } from '../../_components/data-table';
import { DatabaseUnavailable } from '../../_components/database-unavailable';
import { readPageData } from '../../_lib/read';
import { requireUser } from '../../_lib/session';
import { LanguageToggle } from '../_components/language-toggle';
import { SearchForm } from '../_components/search-form';
import { Follow } from './_components/follow';

export const dynamic = 'force-dynamic';

/** An enterprise or establishment as the register holds it now, its codes as text in the chosen language. */
export default async function EntityPage({ params, searchParams }: { params: Promise<{ number: string }>; searchParams: Promise<{ asOf?: string | string[] }> }) {
  const { number } = await params;
  const rawAsOf = (await searchParams).asOf;
  const who = await requireUser(`/register/${encodeURIComponent(number)}${typeof rawAsOf === 'string' ? `?asOf=${encodeURIComponent(rawAsOf)}` : ''}`);
  const lang = savedLanguage((await cookies()).get(LANGUAGE_COOKIE)?.value);
  const read = await readPageData(async () => {
    try {
      const sql = await getDb();
      const asOf = asOfParam(typeof rawAsOf === 'string' ? rawAsOf : undefined);
      // The history first: an entity that has ended still has one, and a page to show it.
      const history = await entityHistory(sql, number).catch((err) => {
        if (isImportFailure(err) && err.code === 'NOT_FOUND') return null;
        throw err;
      });
      const view = await entityView(sql, number, lang, asOf).catch((err) => {
        if (history && isImportFailure(err) && err.code === 'NOT_FOUND') return { missing: err.message };
        throw err;
      });
      const extract = asOf === undefined ? null : await asOfExtract(sql, asOf);
      const follow = 'number' in view ? await followState(sql, who.user, view.number) : { followed: [], lists: [] };
      return { view, history, asOf, extract, ...follow };
    } catch (err) {
      if (isImportFailure(err) && (err.code === 'NOT_FOUND' || err.code === 'VALIDATION')) return { problem: err.message };
      throw err;
    }
  });
  if (!read.ok) return <DatabaseUnavailable message={read.message} />;
  if ('problem' in read.data) {
    return (
      <div className="space-y-4">
        <h1 className="text-2xl font-semibold">Register</h1>
        <p role="alert" data-testid="entity-problem" className="rounded-md border border-amber-300 bg-amber-50 p-4 text-amber-900">
          {read.data.problem}
        </p>
        <SearchForm query={{ q: number }} />
      </div>
    );
  }
  const { view, history, asOf, extract, followed, lists } = read.data;
  const events = history?.events ?? [];
  const timeline = history && <Timeline number={history.number} events={events} asOf={asOf} />;
  if ('missing' in view) {
    return (
      <div className="space-y-6">
        <h1 className="text-2xl font-semibold" data-testid="entity-title">
          {history?.number}
        </h1>
        <AsOfBanner number={history?.number ?? number} asOf={asOf} extract={extract} events={events} />
        <p role="alert" data-testid="entity-problem" className="rounded-md border border-amber-300 bg-amber-50 p-4 text-amber-900">
          {view.missing}
        </p>
        {timeline}
      </div>
    );
  }
  const v = view;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <p className="text-sm text-slate-600">{v.kind === 'enterprise' ? 'Enterprise' : 'Establishment'}</p>
          <h1 className="text-2xl font-semibold" data-testid="entity-title">
            {v.number}
            {v.enterprise?.primaryName ? ` · ${v.enterprise.primaryName}` : ''}
          </h1>
        </div>
        <LanguageToggle current={lang} />
      </div>
      {asOf === undefined && <Follow number={v.number} followedIn={followed} lists={lists} />}
      <SearchForm />
      <AsOfBanner number={v.number} asOf={asOf} extract={extract} events={events} />
      {v.ownRowEnded && (
        <p role="status" data-testid="entity-own-ended" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
          The register holds no {v.kind} row for {v.number} {asOf === undefined ? 'now' : `just after extract ${asOf}`}: it ended (see the history below), while
          the rows of it shown here were still current.
        </p>
      )}
      <FallbackNote view={v} lang={lang} />
      <Facts view={v} lang={lang} />
      <Section title="Denominations" testId="entity-denominations" empty={v.denominations.length === 0}>
        <Table head={['name', 'type', 'language']} rows={v.denominations.map((d) => [d.denomination, codeLabel(d.type, lang), codeLabel(d.language, lang)])} />
      </Section>
      <Section title="Addresses" testId="entity-addresses" empty={v.addresses.length === 0}>
        <Table
          head={['type', 'address', 'municipality', 'country']}
          rows={v.addresses.map((a) => [
            codeLabel(a.type, lang),
            [lang === 'fr' ? (a.streetFr ?? a.streetNl) : (a.streetNl ?? a.streetFr), a.houseNumber, a.box ? `box ${a.box}` : null].filter(Boolean).join(' '),
            [a.zipcode, lang === 'fr' ? (a.municipalityFr ?? a.municipalityNl) : (a.municipalityNl ?? a.municipalityFr)].filter(Boolean).join(' '),
            lang === 'fr' ? (a.countryFr ?? a.countryNl) : (a.countryNl ?? a.countryFr),
          ])}
        />
      </Section>
      <Section title="Activities" testId="entity-activities" empty={v.activities.length === 0}>
        <Table head={['NACE', 'description', 'classification', 'group']} rows={v.activities.map((a) => [`${a.nace.code ?? ''} (${a.naceVersion ?? '?'})`, a.nace.text ? codeLabel(a.nace, lang) : null, codeLabel(a.classification, lang), codeLabel(a.group, lang)])} />
      </Section>
      <Section title="Contacts" testId="entity-contacts" empty={v.contacts.length === 0}>
        <Table head={['type', 'value', 'of']} rows={v.contacts.map((c) => [codeLabel(c.type, lang), c.value, codeLabel(c.entityContact, lang)])} />
      </Section>
      {v.kind === 'enterprise' && (
        <Section title="Establishments and branches" testId="entity-establishments" empty={v.establishments.length + v.branches.length === 0}>
          <ul className="space-y-1 text-sm">
            {v.establishments.map((e) => (
              <li key={e.number}>
                <Link className="text-sky-700 underline underline-offset-2" href={`/register/${e.number}`} data-testid="establishment-link">
                  {e.number}
                </Link>
                {e.startDate ? `, since ${e.startDate}` : ''}
              </li>
            ))}
            {v.branches.map((b) => (
              <li key={b.id}>
                branch {b.id}
                {b.startDate ? `, since ${b.startDate}` : ''}
              </li>
            ))}
          </ul>
        </Section>
      )}
      {timeline}
    </div>
  );
}

/** Which state the page shows: now, or just after an earlier extract, with a way back and forth. */
function AsOfBanner({ number, asOf, extract, events }: { number: string; asOf: number | undefined; extract: Awaited<ReturnType<typeof asOfExtract>> | null; events: HistoryEvent[] }) {
  if (asOf === undefined) return null;
  const newer = [...events].reverse().find((e) => e.extractNumber > asOf);
  const older = events.find((e) => e.extractNumber < asOf);
  const held = extract?.held ?? null;
  const about = (h: NonNullable<typeof held>) => [h.extractType?.toUpperCase(), h.snapshotDate && `snapshot ${h.snapshotDate}`].filter(Boolean).join(', ');
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-md border border-sky-200 bg-sky-50 p-3 text-sm text-sky-900" data-testid="as-of-banner">
      <span data-testid="as-of-text">
        {held === null
          ? `No extract up to ${asOf} was ever imported: the register held nothing then.`
          : extract?.imported
            ? `As it stood just after extract ${asOf} (${about(held)}).`
            : `Extract ${asOf} was never imported: this is the register as extract ${held.extractNumber} (${about(held)}) left it.`}
      </span>
      {older && (
        <Link className="underline underline-offset-2" data-testid="as-of-older" href={`/register/${number}?asOf=${older.extractNumber}`}>
          ← extract {older.extractNumber}
        </Link>
      )}
      {newer && (
        <Link className="underline underline-offset-2" data-testid="as-of-newer" href={`/register/${number}?asOf=${newer.extractNumber}`}>
          extract {newer.extractNumber} →
        </Link>
      )}
      <Link className="underline underline-offset-2" data-testid="as-of-now" href={`/register/${number}`}>
        now
      </Link>
    </div>
  );
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Every import that changed the entity, newest first, each a link to the entity as it stood just after it. */
function Timeline({ number, events, asOf }: { number: string; events: HistoryEvent[]; asOf: number | undefined }) {
  return (
    <section className="space-y-2" data-testid="entity-history" aria-label="History">
      <h2 className="text-lg font-semibold">History</h2>
      <ol className="space-y-2 text-sm">
        {events.map((e) => (
          <li key={e.extractNumber} data-testid="history-event" className={`rounded-md border p-3 ${e.extractNumber === asOf ? 'border-sky-300 bg-sky-50' : 'border-slate-200 bg-white'}`}>
            <div className="flex flex-wrap items-baseline gap-x-3">
              <Link className="font-medium text-sky-700 underline underline-offset-2" data-testid="history-as-of" href={`/register/${number}?asOf=${e.extractNumber}`}>
                as of extract {e.extractNumber}
              </Link>
              <span className="text-slate-600">
                {e.extractType ? `${e.extractType.toUpperCase()}, ` : ''}
                {e.snapshotDate ? `snapshot ${e.snapshotDate}` : 'snapshot date unknown'}
              </span>
              {e.jobId !== null && (
                <Link className="text-sky-700 underline underline-offset-2" href={`/imports/${e.jobId}`}>
                  import #{e.jobId}
                </Link>
              )}
            </div>
            <ul className="mt-1 text-slate-700">
              {e.tables.map((c) => (
                <li key={c.table}>
                  {c.table}:{' '}
                  {[c.started && `${plural(c.started, 'row')} started`, c.ended && `${plural(c.ended, 'row')} ended`, c.reissued && `${plural(c.reissued, 'row')} re-issued unchanged`]
                    .filter(Boolean)
                    .join(', ')}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    </section>
  );
}

const LANGUAGE_NAMES: Record<string, string> = { NL: 'Dutch', FR: 'French', DE: 'German', EN: 'English' };

/** A code's text, marked with the language it is in when the code table had none in the one chosen. */

/** Every code the view shows, to tell whether any text fell back to another language. */
function codesOf(v: EntityView): Coded[] {
  const e = v.enterprise;
  return [
    ...(e ? [e.status, e.juridicalSituation, e.typeOfEnterprise, e.juridicalForm, e.juridicalFormCac] : []),
    ...v.denominations.flatMap((d) => [d.type, d.language]),
    ...v.addresses.map((a) => a.type),
    ...v.activities.flatMap((a) => [a.nace, a.classification, a.group]),
    ...v.contacts.flatMap((c) => [c.type, c.entityContact]),
  ];
}

/** Says which languages the texts fell back to, when the code table lacks the one chosen. */
function FallbackNote({ view, lang }: { view: EntityView; lang: string }) {
  const used = [...new Set(codesOf(view).filter((c) => fellBack(c, lang)).map((c) => c.language as string))];
  if (used.length === 0) return null;
  return (
    <p className="text-sm text-slate-600" data-testid="code-fallback">
      The code table has no {LANGUAGE_NAMES[lang.toUpperCase()] ?? lang.toUpperCase()} text for some codes: those are shown in{' '}
      {used.map((l) => LANGUAGE_NAMES[l] ?? l).join(' or ')}, marked ({used.join(', ')}).
    </p>
  );
}

function Facts({ view: v, lang }: { view: EntityView; lang: string }) {
  if (v.ownRowEnded) return null; // its own fields ended with its row
  const facts: [string, string | null | undefined][] = v.enterprise
    ? [
        ['Status', codeLabel(v.enterprise.status, lang)],
        ['Juridical situation', codeLabel(v.enterprise.juridicalSituation, lang)],
        ['Type', codeLabel(v.enterprise.typeOfEnterprise, lang)],
        ['Juridical form', codeLabel(v.enterprise.juridicalForm, lang)],
        ['Start date', v.enterprise.startDate],
      ]
    : [['Start date', v.establishment?.startDate]];
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-sm sm:grid-cols-2" data-testid="entity-facts">
      {facts.map(([k, value]) => (
        <div key={k} className="flex gap-2">
          <dt className="text-slate-500">{k}</dt>
          <dd className="font-medium">{value ?? '—'}</dd>
        </div>
      ))}
      {v.establishment?.enterpriseNumber && (
        <div className="flex gap-2">
          <dt className="text-slate-500">Enterprise</dt>
          <dd>
            <Link className="text-sky-700 underline underline-offset-2" href={`/register/${v.establishment.enterpriseNumber}`} data-testid="enterprise-link">
              {v.establishment.enterpriseNumber}
            </Link>
          </dd>
        </div>
      )}
    </dl>
  );
}

function Section({ title, testId, empty, children }: { title: string; testId: string; empty: boolean; children: React.ReactNode }) {
  return (
    <section className="space-y-2" data-testid={testId} aria-label={title}>
      <h2 className="text-lg font-semibold">{title}</h2>
      {empty ? <p className="text-sm text-slate-500">None.</p> : children}
    </section>
  );
}

function Table({ head, rows }: { head: string[]; rows: (string | null | undefined)[][] }) {
  return (
    <DataTable head={head}>
      {rows.map((r, i) => (
        <tr key={i} className="border-t border-slate-100">
          {r.map((c, j) => (
            <td key={j} className="px-3 py-2">
              {c ?? '—'}
            </td>
          ))}
        </tr>
      ))}
    </DataTable>
  );
}
