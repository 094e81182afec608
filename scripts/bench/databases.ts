/** The databases the bench loads into: each one made afresh, and the variants --staging and --page-indexes compare. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { KBO_TABLES, CODE_TABLE } from '../../lib/kbo/spec';
import { applyMigrations, createSql, recreateDatabase } from '../../lib/db/client';
import { ident } from '../../lib/db/sql';

/** Drops and creates database `name` on `server`, migrated to the app's schema when `migrate`; returns its URL. */
export async function freshDatabase(server: string, name: string, migrate: boolean): Promise<string> {
  const url = await recreateDatabase(server, name);
  if (migrate) await applyMigrations(url);
  return url;
}

const STAGING_TABLES = [...KBO_TABLES.map((t) => t.staging), CODE_TABLE.staging];

/** Makes every staging table LOGGED or UNLOGGED (the comparison of --staging). */
export async function setStaging(url: string, kind: string): Promise<void> {
  if (kind !== 'logged' && kind !== 'unlogged') throw new Error(`--staging takes logged and unlogged, not ${kind}`);
  const sql = createSql(url, 1);
  for (const table of STAGING_TABLES) await sql`alter table ${ident(sql, table)} ${kind === 'logged' ? sql`set logged` : sql`set unlogged`}`;
  await sql.end();
}

/**
 * The indexes the register's pages and search add (migrations 0012 and 0014), by purpose, for
 * --page-indexes: `with` keeps them all, `without` drops them all, `without-<group>` drops one
 * group (what that group costs an import).
 */
const PAGE_INDEXES = {
  pages: ['establishments_current_enterprise_idx', 'branches_current_enterprise_idx'],
  history: ['establishments_ended_enterprise_idx', 'branches_ended_enterprise_idx'],
  names: ['denominations_current_name_idx', 'denominations_current_name_trgm_idx'],
  filters: ['enterprises_current_form_idx', 'addresses_current_zipcode_idx', 'activities_current_nace_idx'],
};

export async function setPageIndexes(url: string, mode: string): Promise<void> {
  const groups = Object.keys(PAGE_INDEXES) as (keyof typeof PAGE_INDEXES)[];
  const dropped = mode === 'with' ? [] : mode === 'without' ? groups : groups.filter((g) => mode === `without-${g}`);
  if (mode !== 'with' && dropped.length === 0) {
    throw new Error(`--page-indexes takes with, without and ${groups.map((g) => `without-${g}`).join(', ')}, not ${mode}`);
  }
  const sql = createSql(url, 1);
  for (const name of dropped.flatMap((g) => PAGE_INDEXES[g])) await sql`drop index ${ident(sql, name)}`;
  await sql.end();
}

/**
 * The migrations a kept bench database was built with, by content: a migration generated again
 * under the same name is another schema, and the database is built again.
 */
export async function migrationsDigest(): Promise<string> {
  const files = (await readdir(path.resolve('drizzle'))).filter((f) => f.endsWith('.sql')).sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(f).update(await readFile(path.resolve('drizzle', f)));
  return hash.digest('hex').slice(0, 16);
}
