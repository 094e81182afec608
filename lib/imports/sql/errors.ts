import type { Tx, Queryable } from '../../db/client';
import type { RowError } from '../read/rows';

/** Every query of the engine on import_errors: the rejected rows a job keeps (the first ones). */

/** Errors kept per import; the total is always counted. */
export const MAX_KEPT_ERRORS = 1_000;

export async function keptErrorCount(sql: Queryable, jobId: number): Promise<number> {
  const [kept] = await sql<{ n: number }[]>`select count(*)::int as n from import_errors where job_id = ${jobId}`;
  return kept?.n ?? 0;
}

/** Stores rejected rows; the caller keeps the total under MAX_KEPT_ERRORS. */
export async function insertRowErrors(sql: Queryable, jobId: number, errors: RowError[]): Promise<void> {
  if (!errors.length) return;
  await sql`insert into import_errors ${sql(errors.map((e) => ({ job_id: jobId, ...e })), 'job_id', 'file', 'line', 'column', 'value', 'code', 'message')}`;
}

/** Stores as many of `errors` as the cap still allows. */
export async function keepRowErrors(tx: Tx, jobId: number, errors: RowError[]): Promise<void> {
  if (!errors.length) return;
  const room = Math.max(0, MAX_KEPT_ERRORS - (await keptErrorCount(tx, jobId)));
  await insertRowErrors(tx, jobId, errors.slice(0, room));
}

/** The first rejected rows, in the order they were found (all of them without a limit). */
export async function firstRowErrors(sql: Queryable, jobId: number, limit?: number): Promise<RowError[]> {
  return sql<RowError[]>`
    select file, line, "column", value, code, message from import_errors where job_id = ${jobId} order by id
    ${limit === undefined ? sql`` : sql`limit ${limit}`}`;
}

export async function rowErrorsByFile(sql: Queryable, jobId: number): Promise<{ file: string; n: number }[]> {
  return sql<{ file: string; n: number }[]>`
    select file, count(*)::int as n from import_errors where job_id = ${jobId} group by file order by file`;
}

/** Rejected rows kept with this code (at most MAX_KEPT_ERRORS are kept in all). */
export async function keptErrorsWithCode(sql: Queryable, jobId: number, code: string): Promise<number> {
  const [kept] = await sql<{ n: number }[]>`select count(*)::int as n from import_errors where job_id = ${jobId} and code = ${code}`;
  return kept?.n ?? 0;
}
