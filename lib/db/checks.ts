import { PgDialect, getTableConfig, type PgTable } from 'drizzle-orm/pg-core';

/**
 * The values a CHECK of the schema allows (`oneOf` in schema.ts), read back from its SQL, so
 * that the state modules' tests can hold the database's lists equal to theirs.
 */
export function allowedValues(table: PgTable, name: string): string[] {
  const found = getTableConfig(table).checks.find((c) => c.name === name);
  if (!found) throw new Error(`No check ${name} on ${getTableConfig(table).name}.`);
  const text = new PgDialect().sqlToQuery(found.value).sql;
  const list = /in \(([^)]*)\)\s*$/.exec(text)?.[1] ?? '';
  return [...list.matchAll(/'([^']*)'/g)].map((m) => m[1] as string);
}
