import type { Sql } from '../../db/client';
import { bestNames } from '../../db/primary-name';
import { ident, identList, type Fragment } from '../../db/sql';

/** Every statement that reads one entity's rows, now or as they stood after an extract. */

export type Row = Record<string, string | null>;

/**
 * The rows of `table` whose `keyColumn` is `key`, as they stood: now (`asOf` undefined), or
 * just after extract `asOf` was applied: made by it or an earlier import (`extract_number <=
 * asOf`) and not ended by then (current, or ended by a later import). Current rows come from
 * the current-row index, ended ones from the primary key (key, id).
 */
export function rowsAsOf(sql: Sql, table: string, keyColumn: string, key: string, columns: string[], asOf: number | undefined): Fragment {
  const cols = identList(sql, columns);
  const [t, k] = [ident(sql, table), ident(sql, keyColumn)];
  if (asOf === undefined) return sql`select ${cols} from ${t} where ${k} = ${key} and is_current`;
  return sql`
    select ${cols} from ${t} where ${k} = ${key} and is_current and extract_number <= ${asOf}
    union all
    select ${cols} from ${t} where ${k} = ${key} and not is_current and extract_number <= ${asOf} and deleted_at_extract > ${asOf}`;
}

/** Every row of every table for one entity, now or just after extract `asOf`, by its number. */
export interface EntityRows {
  own: Row[];
  denominations: Row[];
  addresses: Row[];
  contacts: Row[];
  activities: Row[];
  establishments: Row[];
  branches: Row[];
  /** The enterprise's primary name then (the stored one now; by the same rule from the denominations of then). */
  primaryName: string | null;
}

const DENOMINATION = ['entity_number', 'language', 'type_of_denomination', 'denomination'];

export async function entityRows(sql: Sql, kind: 'enterprise' | 'establishment', number: string, asOf: number | undefined): Promise<EntityRows> {
  const rows = (table: string, key: string, columns: string[], orderBy: string[], on = number) =>
    sql<Row[]>`select * from (${rowsAsOf(sql, table, key, on, columns, asOf)}) r order by ${identList(sql, orderBy)}`;
  const enterprise = kind === 'enterprise';
  const none = Promise.resolve([] as Row[]);
  const [own, denominations, addresses, contacts, activities, establishments, branches, named] = await Promise.all([
    enterprise
      ? rows('enterprises', 'enterprise_number', ['status', 'juridical_situation', 'type_of_enterprise', 'juridical_form', 'juridical_form_cac', 'start_date', 'primary_name'], ['status'])
      : rows('establishments', 'establishment_number', ['start_date', 'enterprise_number'], ['start_date']),
    rows('denominations', 'entity_number', ['language', 'type_of_denomination', 'denomination'], ['type_of_denomination', 'language', 'denomination']),
    rows(
      'addresses',
      'entity_number',
      ['type_of_address', 'country_nl', 'country_fr', 'zipcode', 'municipality_nl', 'municipality_fr', 'street_nl', 'street_fr', 'house_number', 'box', 'extra_address_info', 'date_striking_off'],
      ['type_of_address', 'zipcode', 'street_nl'],
    ),
    rows('contacts', 'entity_number', ['entity_contact', 'contact_type', 'value'], ['contact_type', 'value']),
    rows('activities', 'entity_number', ['activity_group', 'nace_version', 'nace_code', 'classification'], ['classification', 'nace_version', 'nace_code', 'activity_group']),
    enterprise ? rows('establishments', 'enterprise_number', ['establishment_number', 'start_date'], ['establishment_number']) : none,
    enterprise ? rows('branches', 'enterprise_number', ['branch_id', 'start_date'], ['branch_id']) : none,
    // The stored name is today's; an earlier state's comes from its own denominations, by the same rule.
    enterprise && asOf !== undefined ? sql<Row[]>`${bestNames(sql, rowsAsOf(sql, 'denominations', 'entity_number', number, DENOMINATION, asOf))}` : none,
  ]);
  const primaryName = !enterprise ? null : asOf === undefined ? (own[0]?.primary_name ?? null) : (named[0]?.name ?? null);
  return { own, denominations, addresses, contacts, activities, establishments, branches, primaryName };
}
