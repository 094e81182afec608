/** The bench's baselines: COPY of the target's CSV rows into tables of the final shape (1) and into the app's own tables (1b). */
import { pipeline } from 'node:stream/promises';
import { fileSource, openExtract } from '../../lib/imports';
import { createSql, type Sql } from '../../lib/db/client';
import { ident, identList, join } from '../../lib/db/sql';
import { freshDatabase } from './databases';

export interface Loaded {
  rows: number;
  seconds: number;
}

/** (1) The physical limit: COPY of the same CSV rows into tables shaped like ours. */
export async function copyBaseline(server: string, target: string): Promise<Loaded> {
  const url = await freshDatabase(server, 'kbo_bench_copy', false);
  const sql = createSql(url, 2);
  const plans = await targetPlans(target);
  const tableOf = (plan: CopyPlan) => `copy_${plan.name.replace('.csv', '')}`;
  for (const plan of plans) await createFinalShape(sql, tableOf(plan), plan.columns.map((c) => c.column));
  const result = await timedCopy(sql, plans, tableOf);
  await sql.end();
  return result;
}

/**
 * (1b) The limit our own schema sets: COPY of the same CSV rows (a FULL's files, an UPDATE's
 * insert files) into the app's real tables, empty, with every index the register's pages and
 * search keep (typed columns, the search functions' expression indexes, the trigram index).
 * The gap between (1) and (1b) is what those indexes cost PostgreSQL on any loader; the gap
 * between (1b) and the pipeline is the pipeline's own.
 */
export async function appTablesBaseline(server: string, target: string): Promise<Loaded> {
  const url = await freshDatabase(server, 'kbo_bench_copy_app', true);
  const sql = createSql(url, 2);
  const plans = (await targetPlans(target)).filter((p) => p.operation !== 'delete');
  for (const plan of plans) await sql`alter table ${ident(sql, plan.table)} alter column extract_number set default 147`;
  const result = await timedCopy(sql, plans, (plan) => plan.table);
  await sql.end();
  return result;
}

type CopyPlan = Awaited<ReturnType<typeof targetPlans>>[number];

/** COPY of each file's CSV into its table (`tableOf`), one after the other: the seconds it took, and the rows the tables then hold. */
async function timedCopy(sql: Sql, plans: CopyPlan[], tableOf: (plan: CopyPlan) => string): Promise<Loaded> {
  const started = Date.now();
  for (const plan of plans) {
    const reserved = await sql.reserve();
    await reserved`set datestyle = 'ISO, DMY'`;
    const columns = plan.columns.map((c) => c.column);
    const writable = await reserved`copy ${ident(sql, tableOf(plan))} (${identList(sql, columns)}) from stdin with (format csv, header true)`.writable();
    await pipeline(plan.open(), writable);
    reserved.release();
  }
  const seconds = (Date.now() - started) / 1000;
  let rows = 0;
  for (const plan of plans) {
    const [r] = await sql<{ n: number }[]>`select count(*)::int as n from ${ident(sql, tableOf(plan))}`;
    rows += r?.n ?? 0;
  }
  return { rows, seconds };
}

/** The target zip's CSV files that its ExtractType has (as prepare reads them), streamed from disk. */
export async function targetPlans(target: string) {
  const extract = await openExtract(await fileSource(target));
  return extract.files;
}

/** A table of the final shape: identity key, business columns, history columns, partial index on the key. */
export async function createFinalShape(sql: Sql, table: string, columns: string[]): Promise<void> {
  await sql`
    create table ${ident(sql, table)} (
      id bigint generated always as identity primary key,
      ${join(sql, columns.map((c) => sql`${ident(sql, c)} text`), ',')},
      extract_number integer not null default 147, snapshot_date date, is_current boolean not null default true, deleted_at_extract integer)`;
  await sql`create index on ${ident(sql, table)} (${ident(sql, columns[0] as string)}) where is_current`;
}
