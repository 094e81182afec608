import { ImportFailure } from '../../errors';
import { KBO_TABLES, type DataTableName } from '../../kbo/spec';
import { parseRegisterNumber } from './number';

/** What an import's change list may be narrowed to, read from a URL and checked. Pure. */

export const CHANGES = ['added', 'ended', 'modified'] as const;
export type Change = (typeof CHANGES)[number];

/** One entity's rows in one table, changed by one import. */
export interface EntityChange {
  table: DataTableName;
  number: string;
  /** added: it had no rows in this table before; ended: none after; modified: some before and after, not the same. */
  change: Change;
  started: number;
  ended: number;
}

export interface ChangeFilter {
  table?: string;
  change?: string;
  /** An entity number in any common form. */
  number?: string;
  page?: number;
}

/** A filter from URL parameters (the API's and the page's). Pure. */
export function changeFilterOf(params: URLSearchParams): ChangeFilter {
  const page = params.get('page');
  if (page !== null && page !== '' && !/^\d{1,6}$/.test(page)) throw new ImportFailure('VALIDATION', 'page must be a whole number from 1.');
  const get = (name: string) => params.get(name) ?? undefined;
  return { table: get('table'), change: get('change'), number: get('number'), page: page ? Number(page) : undefined };
}

/** The filter, checked: a known table and change kind, a valid number, a page from 1. */
export function checkChangeFilter(f: ChangeFilter): { table?: DataTableName; change?: Change; number?: string; page: number } {
  const tables = KBO_TABLES.map((t) => t.table) as string[];
  const table = f.table || undefined;
  const change = f.change || undefined;
  if (table !== undefined && !tables.includes(table)) throw new ImportFailure('VALIDATION', `table must be one of ${tables.join(', ')}.`);
  if (change !== undefined && !(CHANGES as readonly string[]).includes(change)) throw new ImportFailure('VALIDATION', `change must be one of ${CHANGES.join(', ')}.`);
  let number: string | undefined;
  if (f.number?.trim()) {
    const parsed = parseRegisterNumber(f.number);
    if (!parsed.ok) throw new ImportFailure('VALIDATION', parsed.message);
    number = parsed.number;
  }
  const page = f.page ?? 1;
  if (!Number.isInteger(page) || page < 1 || page > 100_000) throw new ImportFailure('VALIDATION', 'page must be a whole number from 1.');
  return { table: table as DataTableName | undefined, change: change as Change | undefined, number, page };
}
