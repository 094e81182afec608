import { PRIMARY_NAME_LANGUAGES } from '../kbo/spec';
import type { Sql } from '../db/client';
import { ident, identList, type Fragment } from '../db/sql';
import { ImportFailure } from '../errors';
import { codeTexts, type Coded } from './codes';
import type { Language } from './language';
import { parseRegisterNumber } from './number';

export interface EntityView {
  kind: 'enterprise' | 'establishment';
  number: string;
  /** The enterprise's own fields (for an establishment: null). */
  enterprise: {
    status: Coded;
    juridicalSituation: Coded;
    typeOfEnterprise: Coded;
    juridicalForm: Coded;
    juridicalFormCac: Coded;
    startDate: string | null;
    primaryName: string | null;
  } | null;
  /** The establishment's own fields (for an enterprise: null). */
  establishment: { startDate: string | null; enterpriseNumber: string | null } | null;
  denominations: { language: Coded; type: Coded; denomination: string | null }[];
  addresses: {
    type: Coded;
    countryNl: string | null;
    countryFr: string | null;
    zipcode: string | null;
    municipalityNl: string | null;
    municipalityFr: string | null;
    streetNl: string | null;
    streetFr: string | null;
    houseNumber: string | null;
    box: string | null;
    extraAddressInfo: string | null;
    dateStrikingOff: string | null;
  }[];
  contacts: { entityContact: Coded; type: Coded; value: string | null }[];
  activities: { group: Coded; naceVersion: string | null; nace: Coded; classification: Coded }[];
  /** An enterprise's current establishments and branches (empty for an establishment). */
  establishments: { number: string; startDate: string | null }[];
  branches: { id: string; startDate: string | null }[];
}

type Row = Record<string, string | null>;

/**
 * The rows of `table` whose `keyColumn` is `key`, as they stood: now (`asOf` undefined), or
 * just after extract `asOf` was applied: made by it or an earlier import (`extract_number <=
 * asOf`) and not ended by then (current, or ended by a later import). Current rows come from
 * the current-row index, ended ones from the ended-row index (migration 0014).
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

/**
 * One entity as the register holds it now, or as it stood just after extract `asOf`: every
 * row of every table for its number, with each code's text in `language`. Every look-up goes
 * by the entity's number. NOT_FOUND when the register has no such entity (then).
 */
export async function entityView(sql: Sql, typed: string, language: Language = 'nl', asOf?: number): Promise<EntityView> {
  const parsed = parseRegisterNumber(typed);
  if (!parsed.ok) throw new ImportFailure('VALIDATION', parsed.message);
  if (asOf !== undefined && (!Number.isInteger(asOf) || asOf < 0)) throw new ImportFailure('VALIDATION', 'asOf must be an extract number (a whole number).');
  const { kind, number } = parsed;
  const r = await entityRows(sql, kind, number, asOf);
  const self = r.own[0];
  if (!self) {
    throw new ImportFailure(
      'NOT_FOUND',
      asOf === undefined
        ? `The register has no ${kind} ${number} (not now: it may never have existed, or it has ended).`
        : `The register had no ${kind} ${number} just after extract ${asOf}.`,
    );
  }

  const text = await codeTexts(sql, codesShown(kind, self, r), language);
  const coded: Coder = (category, code) => ({ code: code ?? null, text: code ? (text.get(`${category}\u0000${code}`) ?? null) : null });
  return viewOf(kind, number, self, r, coded, asOf);
}

type Coder = (category: string, code: string | null | undefined) => Coded;

/** Every row of every table for one entity, now or just after extract `asOf`, by its number. */
interface EntityRows {
  own: Row[];
  denominations: Row[];
  addresses: Row[];
  contacts: Row[];
  activities: Row[];
  establishments: Row[];
  branches: Row[];
}

async function entityRows(sql: Sql, kind: 'enterprise' | 'establishment', number: string, asOf: number | undefined): Promise<EntityRows> {
  const rows = (table: string, key: string, columns: string[], orderBy: string[], on = number) =>
    sql<Row[]>`select * from (${rowsAsOf(sql, table, key, on, columns, asOf)}) r order by ${identList(sql, orderBy)}`;
  const [own, denominations, addresses, contacts, activities, establishments, branches] = await Promise.all([
    kind === 'enterprise'
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
    kind === 'enterprise' ? rows('establishments', 'enterprise_number', ['establishment_number', 'start_date'], ['establishment_number']) : Promise.resolve([] as Row[]),
    kind === 'enterprise' ? rows('branches', 'enterprise_number', ['branch_id', 'start_date'], ['branch_id']) : Promise.resolve([] as Row[]),
  ]);
  return { own, denominations, addresses, contacts, activities, establishments, branches };
}

/** The (category, code) pairs whose texts the view shows. */
function codesShown(kind: 'enterprise' | 'establishment', self: Row, r: EntityRows): [string, string | null][] {
  const { denominations, addresses, contacts, activities } = r;
  return [
    ...(kind === 'enterprise'
      ? ([
          ['Status', self.status],
          ['JuridicalSituation', self.juridical_situation],
          ['TypeOfEnterprise', self.type_of_enterprise],
          ['JuridicalForm', self.juridical_form],
          ['JuridicalForm', self.juridical_form_cac],
        ] as [string, string | null][])
      : []),
    ...denominations.flatMap((d) => [['Language', d.language], ['TypeOfDenomination', d.type_of_denomination]] as [string, string | null][]),
    ...addresses.map((a) => ['TypeOfAddress', a.type_of_address] as [string, string | null]),
    ...contacts.flatMap((c) => [['EntityContact', c.entity_contact], ['ContactType', c.contact_type]] as [string, string | null][]),
    ...activities.flatMap(
      (a) => [['ActivityGroup', a.activity_group], [`Nace${a.nace_version ?? ''}`, a.nace_code], ['Classification', a.classification]] as [string, string | null][],
    ),
  ];
}

/** The rows as the page shows them, each code with its text. */
function viewOf(kind: 'enterprise' | 'establishment', number: string, self: Row, r: EntityRows, coded: Coder, asOf: number | undefined): EntityView {
  const { denominations, addresses, contacts, activities, establishments, branches } = r;
  return {
    kind,
    number,
    enterprise:
      kind === 'enterprise'
        ? {
            status: coded('Status', self.status),
            juridicalSituation: coded('JuridicalSituation', self.juridical_situation),
            typeOfEnterprise: coded('TypeOfEnterprise', self.type_of_enterprise),
            juridicalForm: coded('JuridicalForm', self.juridical_form),
            juridicalFormCac: coded('JuridicalForm', self.juridical_form_cac),
            startDate: self.start_date ?? null,
            // The stored name is today's; an earlier state's comes from its own denominations, by the same rule.
            primaryName: asOf === undefined ? (self.primary_name ?? null) : primaryNameOf(denominations),
          }
        : null,
    establishment: kind === 'establishment' ? { startDate: self.start_date ?? null, enterpriseNumber: self.enterprise_number ?? null } : null,
    denominations: denominations.map((d) => ({ language: coded('Language', d.language), type: coded('TypeOfDenomination', d.type_of_denomination), denomination: d.denomination ?? null })),
    addresses: addresses.map((a) => ({
      type: coded('TypeOfAddress', a.type_of_address),
      countryNl: a.country_nl ?? null,
      countryFr: a.country_fr ?? null,
      zipcode: a.zipcode ?? null,
      municipalityNl: a.municipality_nl ?? null,
      municipalityFr: a.municipality_fr ?? null,
      streetNl: a.street_nl ?? null,
      streetFr: a.street_fr ?? null,
      houseNumber: a.house_number ?? null,
      box: a.box ?? null,
      extraAddressInfo: a.extra_address_info ?? null,
      dateStrikingOff: a.date_striking_off ?? null,
    })),
    contacts: contacts.map((c) => ({ entityContact: coded('EntityContact', c.entity_contact), type: coded('ContactType', c.contact_type), value: c.value ?? null })),
    activities: activities.map((a) => ({
      group: coded('ActivityGroup', a.activity_group),
      naceVersion: a.nace_version ?? null,
      nace: coded(`Nace${a.nace_version ?? ''}`, a.nace_code),
      classification: coded('Classification', a.classification),
    })),
    establishments: establishments.map((e) => ({ number: e.establishment_number as string, startDate: e.start_date ?? null })),
    branches: branches.map((b) => ({ id: b.branch_id as string, startDate: b.start_date ?? null })),
  };
}

/** Finalize's rule (jobs/primary-names.ts): the `001` denomination in the preferred language, then the first by text. */
function primaryNameOf(denominations: Row[]): string | null {
  const rank = (l: string | null | undefined) => {
    const i = PRIMARY_NAME_LANGUAGES.indexOf(l ?? '');
    return i < 0 ? PRIMARY_NAME_LANGUAGES.length : i;
  };
  const best = denominations
    .filter((d) => d.type_of_denomination === '001')
    .sort((a, b) => rank(a.language) - rank(b.language) || ((a.denomination ?? '') < (b.denomination ?? '') ? -1 : 1))[0];
  return best?.denomination ?? null;
}
