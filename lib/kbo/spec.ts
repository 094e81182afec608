import type { NumberKind } from './values';

/**
 * What a KBO Open Data extract looks like: its files, their exact headers, the columns they
 * map to and the key that identifies an entity in each. Everything the engine does with
 * table and column names comes from this fixed list (never from input).
 */
export type ColumnKind = 'text' | 'date' | NumberKind;

export interface ColumnSpec {
  /** Header exactly as in the CSV. */
  header: string;
  /** Column in the final and staging tables. */
  column: string;
  kind: ColumnKind;
  required?: boolean;
}

export interface TableSpec {
  /** Base name of the CSV file(s): `enterprise.csv`, `enterprise_delete.csv`, `enterprise_insert.csv`. */
  file: string;
  /** Final table. */
  table: DataTableName;
  staging: string;
  /** Column holding the entity key (first column of every file). */
  key: string;
  columns: ColumnSpec[];
  /** Typical bytes per CSV row, used to size batches from the zip's uncompressed sizes. */
  bytesPerRow: number;
  /**
   * The register holds one row per key (an enterprise has one status, an establishment one
   * start date): at most one current row per key, which a unique index enforces. The other
   * tables hold several rows per entity (names, addresses, contacts, activities).
   */
  oneRowPerKey?: boolean;
}

export const DATA_TABLES = [
  'enterprises',
  'establishments',
  'denominations',
  'addresses',
  'contacts',
  'activities',
  'branches',
] as const;
export type DataTableName = (typeof DATA_TABLES)[number];
export type TableName = DataTableName | 'codes';

const text = (header: string, column: string): ColumnSpec => ({ header, column, kind: 'text' });
const date = (header: string, column: string): ColumnSpec => ({ header, column, kind: 'date' });

export const KBO_TABLES: readonly TableSpec[] = [
  {
    file: 'enterprise',
    table: 'enterprises',
    oneRowPerKey: true,
    staging: 'import_staging_enterprises',
    key: 'enterprise_number',
    bytesPerRow: 50,
    columns: [
      { header: 'EnterpriseNumber', column: 'enterprise_number', kind: 'enterprise', required: true },
      text('Status', 'status'),
      text('JuridicalSituation', 'juridical_situation'),
      text('TypeOfEnterprise', 'type_of_enterprise'),
      text('JuridicalForm', 'juridical_form'),
      text('JuridicalFormCAC', 'juridical_form_cac'),
      date('StartDate', 'start_date'),
    ],
  },
  {
    file: 'establishment',
    table: 'establishments',
    oneRowPerKey: true,
    staging: 'import_staging_establishments',
    key: 'establishment_number',
    bytesPerRow: 45,
    columns: [
      { header: 'EstablishmentNumber', column: 'establishment_number', kind: 'establishment', required: true },
      date('StartDate', 'start_date'),
      { header: 'EnterpriseNumber', column: 'enterprise_number', kind: 'enterprise' },
    ],
  },
  {
    file: 'denomination',
    table: 'denominations',
    staging: 'import_staging_denominations',
    key: 'entity_number',
    bytesPerRow: 55,
    columns: [
      { header: 'EntityNumber', column: 'entity_number', kind: 'entity', required: true },
      text('Language', 'language'),
      text('TypeOfDenomination', 'type_of_denomination'),
      text('Denomination', 'denomination'),
    ],
  },
  {
    file: 'address',
    table: 'addresses',
    staging: 'import_staging_addresses',
    key: 'entity_number',
    bytesPerRow: 110,
    columns: [
      { header: 'EntityNumber', column: 'entity_number', kind: 'entity', required: true },
      text('TypeOfAddress', 'type_of_address'),
      text('CountryNL', 'country_nl'),
      text('CountryFR', 'country_fr'),
      text('Zipcode', 'zipcode'),
      text('MunicipalityNL', 'municipality_nl'),
      text('MunicipalityFR', 'municipality_fr'),
      text('StreetNL', 'street_nl'),
      text('StreetFR', 'street_fr'),
      text('HouseNumber', 'house_number'),
      text('Box', 'box'),
      text('ExtraAddressInfo', 'extra_address_info'),
      date('DateStrikingOff', 'date_striking_off'),
    ],
  },
  {
    file: 'contact',
    table: 'contacts',
    staging: 'import_staging_contacts',
    key: 'entity_number',
    bytesPerRow: 50,
    columns: [
      { header: 'EntityNumber', column: 'entity_number', kind: 'entity', required: true },
      text('EntityContact', 'entity_contact'),
      text('ContactType', 'contact_type'),
      text('Value', 'value'),
    ],
  },
  {
    file: 'activity',
    table: 'activities',
    staging: 'import_staging_activities',
    key: 'entity_number',
    bytesPerRow: 42,
    columns: [
      { header: 'EntityNumber', column: 'entity_number', kind: 'entity', required: true },
      text('ActivityGroup', 'activity_group'),
      text('NaceVersion', 'nace_version'),
      text('NaceCode', 'nace_code'),
      text('Classification', 'classification'),
    ],
  },
  {
    file: 'branch',
    table: 'branches',
    oneRowPerKey: true,
    staging: 'import_staging_branches',
    key: 'branch_id',
    bytesPerRow: 45,
    columns: [
      { header: 'Id', column: 'branch_id', kind: 'branch', required: true },
      date('StartDate', 'start_date'),
      { header: 'EnterpriseNumber', column: 'enterprise_number', kind: 'enterprise' },
    ],
  },
];

export const CODE_TABLE = {
  file: 'code',
  table: 'codes' as const,
  staging: 'import_staging_codes',
  columns: [
    { header: 'Category', column: 'category', kind: 'text', required: true },
    { header: 'Code', column: 'code', kind: 'text', required: true },
    { header: 'Language', column: 'language', kind: 'text', required: true },
    text('Description', 'description'),
  ] satisfies ColumnSpec[],
};

export const META_FILE = 'meta.csv';
export const META_HEADER = ['Variable', 'Value'];

export type ExtractType = 'full' | 'update';
export type Operation = 'delete' | 'insert' | 'replace';

/** One CSV file the extract must contain, and how its rows are staged. */
export interface FilePlan {
  name: string;
  table: TableName;
  operation: Operation;
  staging: string;
  columns: ColumnSpec[];
}

export function filesFor(type: ExtractType): FilePlan[] {
  const plans: FilePlan[] = [
    { name: 'code.csv', table: 'codes', operation: 'replace', staging: CODE_TABLE.staging, columns: CODE_TABLE.columns },
  ];
  for (const t of KBO_TABLES) {
    if (type === 'full') {
      plans.push({ name: `${t.file}.csv`, table: t.table, operation: 'insert', staging: t.staging, columns: t.columns });
    } else {
      const keyColumn = t.columns[0] as ColumnSpec;
      plans.push({ name: `${t.file}_delete.csv`, table: t.table, operation: 'delete', staging: t.staging, columns: [keyColumn] });
      plans.push({ name: `${t.file}_insert.csv`, table: t.table, operation: 'insert', staging: t.staging, columns: t.columns });
    }
  }
  return plans;
}

export function tableSpec(table: DataTableName): TableSpec {
  const spec = KBO_TABLES.find((t) => t.table === table);
  if (!spec) throw new Error(`unknown table ${table}`);
  return spec;
}

/**
 * Language preference for an enterprise's primary name, taken from its current `001`
 * (official name) denominations: Dutch, French, German, English, then unknown; ties broken
 * alphabetically so the choice is deterministic.
 */
export const PRIMARY_NAME_LANGUAGES = ['2', '1', '3', '4', '0'];
