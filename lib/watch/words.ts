import { KBO_TABLES, tableSpec, type DataTableName } from '../kbo/spec';
import { BRANCH_ID } from '../kbo/values';

/**
 * What an import did to a watched entity, in words an officer reads: `status AC → ST`,
 * `name "X" → "Y"`, `seat moved from … to …`, `activity 62010 (NACE 2025, main) added`,
 * `establishment 2.123.456.789 closed`. Pure: from the rows the import started and ended.
 */

export type Row = Record<string, unknown>;
/** One line of a match: `text` in words; `field` with `before` and `after` where a field changed, else the row's `before` or `after` as one line. */
export type MatchChange = { table: string; entity?: string; field?: string; before?: string | null; after?: string | null; text?: string };
export type MatchRows = { table: string; entity: string; started: Row[]; ended: Row[] };

const ONE_ROW = new Set<string>(KBO_TABLES.filter((t) => t.oneRowPerKey).map((t) => t.table));

const FIELD: Record<string, string> = {
  status: 'status',
  juridical_situation: 'juridical situation',
  type_of_enterprise: 'type of enterprise',
  juridical_form: 'juridical form',
  juridical_form_cac: 'juridical form (CAC)',
  start_date: 'start date',
  enterprise_number: 'enterprise',
};
const NAME_TYPE: Record<string, string> = { '001': 'name', '002': 'abbreviation', '003': 'commercial name', '004': 'branch name' };
const ADDRESS_TYPE: Record<string, string> = { REGO: 'seat', BAET: 'establishment address', ABBR: 'branch address', OBAD: 'old address' };
const ONE: Record<string, string> = { enterprises: 'enterprise', establishments: 'establishment', branches: 'branch' };

const str = (v: unknown) => (v === null || v === undefined || v === '' ? null : String(v));

/** An address on one line: street and number (box), postcode and municipality, a country abroad. */
function address(r: Row): string {
  const street = [str(r.street_nl) ?? str(r.street_fr), str(r.house_number), str(r.box) && `box ${str(r.box)}`].filter(Boolean).join(' ');
  const town = [str(r.zipcode), str(r.municipality_nl) ?? str(r.municipality_fr)].filter(Boolean).join(' ');
  return [street, town, str(r.country_nl) ?? str(r.country_fr)].filter(Boolean).join(', ') || 'an address without details';
}

/** A row of a many-row table as the thing it is: a name, an address, an activity, a contact. */
function thing(table: string, r: Row): string {
  switch (table) {
    case 'denominations':
      return `${NAME_TYPE[str(r.type_of_denomination) ?? ''] ?? 'name'} "${str(r.denomination) ?? ''}"`;
    case 'addresses':
      return `${ADDRESS_TYPE[str(r.type_of_address) ?? ''] ?? 'address'} ${address(r)}`;
    case 'activities':
      return `activity ${str(r.nace_code) ?? '?'} (NACE ${str(r.nace_version) ?? '?'}${str(r.classification) === 'MAIN' ? ', main' : ''})`;
    case 'contacts':
      return `contact ${str(r.contact_type) ?? ''} ${str(r.value) ?? ''}`.replace(/\s+/g, ' ').trim();
    default:
      return line(table as DataTableName, r);
  }
}

/** Two rows that are the same thing before and after (the same kind of name, address, contact): said as one change. */
function pairKey(table: string, r: Row): string | null {
  if (table === 'denominations') return `${str(r.type_of_denomination)}/${str(r.language)}`;
  if (table === 'addresses') return str(r.type_of_address);
  if (table === 'contacts') return `${str(r.entity_contact)}/${str(r.contact_type)}`;
  return null;
}

function pairSaid(table: string, before: Row, after: Row): string {
  if (table === 'addresses') {
    const kind = ADDRESS_TYPE[str(after.type_of_address) ?? ''] ?? 'address';
    if (address(before) !== address(after)) return `${kind} moved from ${address(before)} to ${address(after)}`;
    // The same place: what else changed (struck off, its other language, extra details).
    const fields = Object.keys(after).filter((f) => str(before[f]) !== str(after[f]));
    return `${kind} ${address(after)}: ${fields.map((f) => `${FIELD[f] ?? f.replaceAll('_', ' ')} ${str(before[f]) ?? '∅'} → ${str(after[f]) ?? '∅'}`).join(', ')}`;
  }
  if (table === 'denominations') return `${NAME_TYPE[str(after.type_of_denomination) ?? ''] ?? 'name'} "${str(before.denomination) ?? ''}" → "${str(after.denomination) ?? ''}"`;
  return `contact ${str(after.contact_type) ?? ''} ${str(before.value) ?? ''} → ${str(after.value) ?? ''}`;
}

/**
 * One entity's rows in words. `subject` is the watched number: the rows of its establishments
 * and branches say whose they are.
 */
export function describeRows(m: MatchRows, subject: string = m.entity): MatchChange[] {
  const entity = m.entity;
  const of = entity === subject || ONE_ROW.has(m.table) ? '' : `${BRANCH_ID.test(entity) ? 'branch' : 'establishment'} ${entity}: `;
  if (ONE_ROW.has(m.table) && m.started.length === 1 && m.ended.length === 1) {
    const [before, after] = [m.ended[0] as Row, m.started[0] as Row];
    const whose = entity === subject ? '' : `${ONE[m.table]} ${entity}: `;
    return Object.keys(after)
      .filter((f) => String(before[f] ?? '') !== String(after[f] ?? ''))
      .sort()
      .map((field) => ({ table: m.table, entity, field, before: str(before[field]), after: str(after[field]), text: `${whose}${FIELD[field] ?? field.replaceAll('_', ' ')} ${str(before[field]) ?? '∅'} → ${str(after[field]) ?? '∅'}` }));
  }
  if (ONE_ROW.has(m.table)) {
    const opened = m.table === 'enterprises' ? ['added to the register', 'ended in the register'] : ['opened', 'closed'];
    return [
      ...m.ended.map((r) => ({ table: m.table, entity, before: line(m.table as DataTableName, r), text: `${ONE[m.table]} ${entity} ${opened[1]}` })),
      ...m.started.map((r) => ({ table: m.table, entity, after: line(m.table as DataTableName, r), text: `${ONE[m.table]} ${entity} ${opened[0]}${str(r.start_date) ? ` (since ${str(r.start_date)})` : ''}` })),
    ];
  }
  const out: MatchChange[] = [];
  const started = [...m.started];
  for (const b of m.ended) {
    const key = pairKey(m.table, b);
    const i = key === null ? -1 : started.findIndex((a) => pairKey(m.table, a) === key);
    if (i >= 0) {
      const [a] = started.splice(i, 1) as [Row];
      out.push({ table: m.table, entity, before: line(m.table as DataTableName, b), after: line(m.table as DataTableName, a), text: of + pairSaid(m.table, b, a) });
    } else out.push({ table: m.table, entity, before: line(m.table as DataTableName, b), text: `${of}${thing(m.table, b)} ended` });
  }
  for (const a of started) out.push({ table: m.table, entity, after: line(m.table as DataTableName, a), text: `${of}${thing(m.table, a)} added` });
  return out;
}

/** A match in words: each of its entities' rows (`rows`, as matching wrote them) said for the watched number. */
export function describeMatch(rows: MatchRows[], number: string): MatchChange[] {
  return rows.flatMap((m) => describeRows(m, number));
}

/** A row as one line: its business columns but the entity's key, in the file's order, empty ones left out. */
export function line(table: DataTableName, r: Row): string {
  const spec = tableSpec(table);
  return spec.columns
    .filter((c) => c.column !== spec.key && r[c.column] !== null && r[c.column] !== undefined && r[c.column] !== '')
    .map((c) => `${c.column}: ${String(r[c.column])}`)
    .join(', ');
}

/** A change as a line: its words, else `table.field before → after`, `table + row`, `table − row` (matches written before the words were). */
export function said(c: MatchChange): string {
  if (c.text) return c.text;
  if (c.field) return `${c.table}.${c.field} ${c.before ?? '∅'} → ${c.after ?? '∅'}`;
  return c.after !== undefined ? `${c.table} + ${c.after}` : `${c.table} − ${c.before}`;
}
