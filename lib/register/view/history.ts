import type { Sql } from '../../db/client';
import { ImportFailure } from '../../errors';
import type { DataTableName } from '../../kbo/spec';
import { parseRegisterNumber } from '../query/number';
import { entityMoves, extractHeld, jobsThatApplied, type ApplyingJob } from '../sql/history';

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
  const rows = await entityMoves(sql, number, OWN[kind]);
  if (rows.length === 0) throw new ImportFailure('NOT_FOUND', `The register has never held ${kind} ${number}.`);
  const counts = new Map<number, Map<string, { started: number; ended: number; reissued: number }>>();
  for (const r of rows) counts.set(r.x, (counts.get(r.x) ?? new Map()).set(r.t, { started: r.started, ended: r.ended, reissued: r.reissued }));
  const extracts = [...counts.keys()].sort((a, b) => b - a);
  const jobOf = new Map((await jobsThatApplied(sql, extracts)).map((j) => [j.extractNumber, j]));
  const order: string[] = OWN[kind].map(([t]) => t);
  return {
    kind,
    number,
    events: extracts.map((x) => ({
      extractNumber: x,
      snapshotDate: jobOf.get(x)?.snapshotDate ?? null,
      extractType: jobOf.get(x)?.extractType ?? null,
      jobId: jobOf.get(x)?.id ?? null,
      tables: [...(counts.get(x) as Map<string, { started: number; ended: number; reissued: number }>)]
        .map(([table, c]) => ({ table, ...c }))
        .sort((a, b) => order.indexOf(a.table) - order.indexOf(b.table)),
    })),
  };
}

/**
 * What "as of extract N" shows: the register as the latest extract imported at or before N
 * left it (`held`). `imported` says whether N itself was imported; when it was not (a missed
 * extract, a resync's "before"), the page says which extract it shows instead.
 */
export async function asOfExtract(sql: Sql, n: number): Promise<{ asked: number; imported: boolean; held: ApplyingJob | null }> {
  const held = await extractHeld(sql, n);
  return { asked: n, imported: held?.extractNumber === n, held };
}
