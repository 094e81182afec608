import type { Sql } from '../../db/client';

/** The statement of a search's result lines: each number's own row, its enterprise, a name, an address. */

export interface HitRow {
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
}

/**
 * The rows of these numbers, in their order: one per number (the register holds one current
 * row per enterprise and establishment: their unique indexes, migration 0017).
 */
export async function hitRows(sql: Sql, numbers: string[]): Promise<HitRow[]> {
  return sql<HitRow[]>`
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
}
