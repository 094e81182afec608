import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KBO_TABLES, CODE_TABLE, type DataTableName } from '../../lib/kbo/spec';
import { sortRows, type Row } from '../../lib/generator/generator';
import { tableChecksums as checksumsOf } from '../../lib/db/checksums';
import type { Sql } from '../../lib/db/client';
import { identList, ident } from '../../lib/db/sql';
import { driveImport } from '../../lib/imports/drive/loop';
import { ImportFailure } from '../../lib/errors';
import { prepareImport } from '../../lib/imports/drive/prepare';
import type { JobStatusView } from '../../lib/imports/view/status';

export const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/kbo/KboOpenData_0147_2025_10_12_Update.zip');

export function fixtureZip(): Buffer {
  return readFileSync(FIXTURE);
}

/** prepare + every batch + finalize, through the same verbs the routes and the CLI use. */
export async function importZip(db: Sql, fileName: string, data: Uint8Array, opts: { concurrency?: number; force?: boolean; batchSize?: number } = {}): Promise<JobStatusView> {
  const prepared = await prepareImport(db, { fileName, data, force: opts.force, batchSize: opts.batchSize });
  return driveImport(db, { jobId: prepared.job.id, concurrency: opts.concurrency ?? 2, idleMs: 20 });
}

function columnsOf(table: DataTableName | 'codes'): string[] {
  const spec = table === 'codes' ? CODE_TABLE : KBO_TABLES.find((t) => t.table === table);
  return (spec?.columns ?? []).map((c) => c.column);
}

/** The current rows of a table as the model writes them: business columns, dates ISO, NULLs. */
export async function currentRows(sql: Sql, table: DataTableName | 'codes'): Promise<Row[]> {
  const rows = await sql`select ${identList(sql, columnsOf(table))} from ${ident(sql, table)} where is_current`.values();
  return sortRows(rows as Row[]);
}

/** Every row of every register table, ids and history included, as one checksum per table. */
export async function tableChecksums(db: Sql): Promise<Record<string, string>> {
  const sums = await checksumsOf(db, { ids: true });
  return Object.fromEntries(Object.entries(sums).map(([table, c]) => [table, `${c.rows}:${c.md5}`]));
}

/** The ImportFailure a call was refused with (the test fails when it was not refused so). */
export async function refusal(p: Promise<unknown>): Promise<ImportFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ImportFailure)) throw new Error(`expected a refusal (ImportFailure), got ${err === undefined ? 'success' : String(err)}`);
  return err;
}
