import { cookies } from 'next/headers';
import Link from 'next/link';
import { isImportFailure } from '@/lib/imports/errors';
import { getDb } from '@/lib/db/client';
import { entityView, type Coded, type EntityView } from '@/lib/register/entity';
import { LANGUAGE_COOKIE, LANGUAGES, type Language } from '@/lib/register/language';
import { DatabaseUnavailable } from '../../_components/database-unavailable';
import { readPageData } from '../../_lib/read';
import { requireAdmin } from '../../_lib/session';
import { LanguageToggle } from '../_components/language-toggle';
import { NumberForm } from '../_components/number-form';

export const dynamic = 'force-dynamic';

/** An enterprise or establishment as the register holds it now, its codes as text in the chosen language. */
export default async function EntityPage({ params }: { params: Promise<{ number: string }> }) {
  const { number } = await params;
  await requireAdmin(`/register/${encodeURIComponent(number)}`);
  const saved = (await cookies()).get(LANGUAGE_COOKIE)?.value;
  const lang: Language = (LANGUAGES as readonly string[]).includes(saved ?? '') ? (saved as Language) : 'nl';
  const read = await readPageData(async () => {
    try {
      return { view: await entityView((await getDb()).$client, number, lang) };
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
        <NumberForm initial={number} />
      </div>
    );
  }
  const v = read.data.view;
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
      <NumberForm />
      <Facts view={v} />
      <Section title="Denominations" testId="entity-denominations" empty={v.denominations.length === 0}>
        <Table head={['name', 'type', 'language']} rows={v.denominations.map((d) => [d.denomination, text(d.type), text(d.language)])} />
      </Section>
      <Section title="Addresses" testId="entity-addresses" empty={v.addresses.length === 0}>
        <Table
          head={['type', 'address', 'municipality', 'country']}
          rows={v.addresses.map((a) => [
            text(a.type),
            [lang === 'fr' ? (a.streetFr ?? a.streetNl) : (a.streetNl ?? a.streetFr), a.houseNumber, a.box ? `box ${a.box}` : null].filter(Boolean).join(' '),
            [a.zipcode, lang === 'fr' ? (a.municipalityFr ?? a.municipalityNl) : (a.municipalityNl ?? a.municipalityFr)].filter(Boolean).join(' '),
            lang === 'fr' ? (a.countryFr ?? a.countryNl) : (a.countryNl ?? a.countryFr),
          ])}
        />
      </Section>
      <Section title="Activities" testId="entity-activities" empty={v.activities.length === 0}>
        <Table head={['NACE', 'description', 'classification', 'group']} rows={v.activities.map((a) => [`${a.nace.code ?? ''} (${a.naceVersion ?? '?'})`, a.nace.text, text(a.classification), text(a.group)])} />
      </Section>
      <Section title="Contacts" testId="entity-contacts" empty={v.contacts.length === 0}>
        <Table head={['type', 'value', 'of']} rows={v.contacts.map((c) => [text(c.type), c.value, text(c.entityContact)])} />
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
    </div>
  );
}

const text = (c: Coded) => (c.text ? c.text : c.code);

function Facts({ view: v }: { view: EntityView }) {
  const facts: [string, string | null | undefined][] = v.enterprise
    ? [
        ['Status', text(v.enterprise.status)],
        ['Juridical situation', text(v.enterprise.juridicalSituation)],
        ['Type', text(v.enterprise.typeOfEnterprise)],
        ['Juridical form', text(v.enterprise.juridicalForm)],
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
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
      <table className="min-w-full text-left text-sm">
        <thead className="bg-slate-50 text-slate-600">
          <tr>
            {head.map((h) => (
              <th key={h} className="px-3 py-2 font-medium">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i} className="border-t border-slate-100">
              {r.map((c, j) => (
                <td key={j} className="px-3 py-2">
                  {c ?? '—'}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
