import type { Sql } from '../db/client';
import { codeTexts, type Coded } from './codes';
import type { Language } from './language';
import type { SearchHit } from './search-query';

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
 * The result lines for these numbers, in their order: one per number (the register holds one
 * current row per enterprise and establishment: their unique indexes, migration 0017).
 */
export async function hitsOf(sql: Sql, numbers: string[], language: Language): Promise<SearchHit[]> {
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
