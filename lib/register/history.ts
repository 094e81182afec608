import type { Sql } from '../db/client';
import type { DataTableName } from '../kbo/spec';
import { ident } from '../db/sql';
import { ImportFailure } from '../errors';
import { JOB } from '../imports';
import { netMoves, rowContent } from './moves';
import { parseRegisterNumber } from './number';

/**
 * What one import did to one entity, per table: rows that started, rows that ended, and rows
 * it ended and started again exactly as they were (an UPDATE re-issues every row of a key it
 * touches; those are not changes, so `started` and `ended` leave them out).
 */
export interface HistoryEvent {
  extractNumber: number;
  snapshotDate: string | null;
  extractType: string | null;
  jobId: number | null;
  tables: { table: string; started: number; ended: number; reissued: number }[];
}

/** The tables that hold an entity's own rows, each with the column that names it. */
const OWN: Record<'enterprise' | 'establishment', [table: DataTableName, key: string][]> = {
  enterprise: [
    ['enterprises', 'enterprise_number'],
    ['denominations', 'entity_number'],
    ['addresses', 'entity_number'],
    ['contacts', 'entity_number'],
    ['activities', 'entity_number'],
    ['establishments', 'enterprise_number'],
    ['branches', 'enterprise_number'],
  ],
  establishment: [
    ['establishments', 'establishment_number'],
    ['denominations', 'entity_number'],
    ['addresses', 'entity_number'],
    ['contacts', 'entity_number'],
    ['activities', 'entity_number'],
  ],
};

/**
 * Every change the imports made to one entity, newest first: which extract, its snapshot
 * date and import, and per table how many rows it started and ended. Read from the history
 * columns of every row the entity has or had (the current-row and ended-row indexes by number).
 */
export async function entityHistory(sql: Sql, typed: string): Promise<{ kind: 'enterprise' | 'establishment'; number: string; events: HistoryEvent[] }> {
  const parsed = parseRegisterNumber(typed);
  if (!parsed.ok) throw new ImportFailure('VALIDATION', parsed.message);
  const { kind, number } = parsed;
  // Every row the entity has or had, as moves: started by one extract, ended by another.
  const moved = OWN[kind]
    .map(([table, key]) => {
      const content = rowContent(sql, table);
      const rows = sql`
        select extract_number, deleted_at_extract, ${content} as h from ${ident(sql, table)} where ${ident(sql, key)} = ${number} and is_current
        union all
        select extract_number, deleted_at_extract, ${content} from ${ident(sql, table)} where ${ident(sql, key)} = ${number} and not is_current`;
      return sql`
        select ${table}::text as t, extract_number as x, h, 1 as s, 0 as e from (${rows}) r
        union all
        select ${table}::text, deleted_at_extract, h, 0, 1 from (${rows}) r where deleted_at_extract is not null`;
    })
    .reduce((a, b) => sql`${a} union all ${b}`);
  const rows = await sql<{ t: string; x: number; started: number; ended: number; reissued: number }[]>`${netMoves(sql, moved, ['t', 'x'])}`;
  if (rows.length === 0) throw new ImportFailure('NOT_FOUND', `The register has never held ${kind} ${number}.`);
  const counts = new Map<number, Map<string, { started: number; ended: number; reissued: number }>>();
  for (const r of rows) counts.set(r.x, (counts.get(r.x) ?? new Map()).set(r.t, { started: r.started, ended: r.ended, reissued: r.reissued }));
  const extracts = [...counts.keys()].sort((a, b) => b - a);
  // Each extract number is applied by one import at most (jobs/sequence.ts); rolled-back imports left no rows.
  const jobs = await sql<{ extract_number: number; id: number; snapshot_date: string | null; extract_type: string | null }[]>`
    select distinct on (extract_number) extract_number, id, snapshot_date::text, extract_type from import_jobs
    where extract_number = any(${extracts}::int[]) and status = ${JOB.completed} order by extract_number, id desc`;
  const jobOf = new Map(jobs.map((j) => [j.extract_number, j]));
  const order: string[] = OWN[kind].map(([t]) => t);
  return {
    kind,
    number,
    events: extracts.map((x) => ({
      extractNumber: x,
      snapshotDate: jobOf.get(x)?.snapshot_date ?? null,
      extractType: jobOf.get(x)?.extract_type ?? null,
      jobId: jobOf.get(x)?.id ?? null,
      tables: [...(counts.get(x) as Map<string, { started: number; ended: number; reissued: number }>)]
        .map(([table, c]) => ({ table, ...c }))
        .sort((a, b) => order.indexOf(a.table) - order.indexOf(b.table)),
    })),
  };
}
