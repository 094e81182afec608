import type { Sql } from '../../db/client';
import { ImportFailure } from '../../errors';
import { codedBy, type Coded } from '../query/coded';
import type { Language } from '../query/language';
import { parseRegisterNumber } from '../query/number';
import { codeTexts } from '../sql/codes';
import { entityRows, type EntityRows, type Row } from '../sql/rows';

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
  /**
   * The entity's own row (its enterprise or establishment row) had ended, while other rows of
   * it (names, addresses, contacts, activities) were still current: a FULL that no longer lists
   * the entity but still lists some of its rows does that. `enterprise` or `establishment` is then
   * null, and the rows that remain are shown.
   */
  ownRowEnded: boolean;
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
  // Rows keyed by the entity's own number (an enterprise's establishments and branches are
  // keyed by it too, but as links to other entities: a branch left current does not make an
  // ended enterprise one).
  const others = r.denominations.length + r.addresses.length + r.contacts.length + r.activities.length;
  if (!self && others === 0) {
    throw new ImportFailure(
      'NOT_FOUND',
      asOf === undefined
        ? `The register has no ${kind} ${number} (not now: it may never have existed, or it has ended).`
        : `The register had no ${kind} ${number} just after extract ${asOf}.`,
    );
  }

  const coded = codedBy(await codeTexts(sql, codesShown(kind, self, r), language));
  return viewOf(kind, number, self, r, coded);
}

type Coder = (category: string, code: string | null | undefined) => Coded;

/** The (category, code) pairs whose texts the view shows. */
function codesShown(kind: 'enterprise' | 'establishment', self: Row | undefined, r: EntityRows): [string, string | null][] {
  const { denominations, addresses, contacts, activities } = r;
  return [
    ...(kind === 'enterprise' && self
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
function viewOf(kind: 'enterprise' | 'establishment', number: string, self: Row | undefined, r: EntityRows, coded: Coder): EntityView {
  const { denominations, addresses, contacts, activities, establishments, branches } = r;
  return {
    kind,
    number,
    ownRowEnded: !self,
    enterprise:
      kind === 'enterprise' && self
        ? {
            status: coded('Status', self.status),
            juridicalSituation: coded('JuridicalSituation', self.juridical_situation),
            typeOfEnterprise: coded('TypeOfEnterprise', self.type_of_enterprise),
            juridicalForm: coded('JuridicalForm', self.juridical_form),
            juridicalFormCac: coded('JuridicalForm', self.juridical_form_cac),
            startDate: self.start_date ?? null,
            primaryName: r.primaryName,
          }
        : null,
    establishment: kind === 'establishment' && self ? { startDate: self.start_date ?? null, enterpriseNumber: self.enterprise_number ?? null } : null,
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
