import { DATA_TABLES } from '../../kbo/spec';
import type { Sql } from '../../db/client';
import { currentRowsByTable } from '../sql/batches';
import { activeJob, lastCompletedJob } from '../sql/jobs';
import type { JobStatus } from '../state/machine';

/** The register as the home page shows it: where it stands, what is under way, its size. */
export interface RegisterState {
  /** The extract the register is at: the last completed import (null: nothing imported yet). */
  latest: { jobId: number; extractNumber: number; extractType: string; snapshotDate: string | null; finishedAt: Date | null } | null;
  /** The import under way, if any. */
  active: { jobId: number; extractNumber: number | null; status: JobStatus } | null;
  /** Current rows per table after the completed imports (the register's tables, then the codes). */
  tables: { table: string; rows: number }[];
}

/** The extract the register is at (the last completed import), null when empty: what the upload form needs. */
export async function registerAt(db: Sql): Promise<number | null> {
  return (await lastCompletedJob(db))?.extractNumber ?? null;
}

export async function registerState(sql: Sql): Promise<RegisterState> {
  const [latest, active, counts] = await Promise.all([lastCompletedJob(sql), activeJob(sql), currentRowsByTable(sql)]);
  const rows = new Map(counts.map((c) => [c.table, Number(c.rows)]));
  return {
    latest: latest
      ? {
          jobId: latest.id,
          extractNumber: latest.extractNumber as number,
          extractType: latest.extractType as string,
          snapshotDate: latest.snapshotDate,
          finishedAt: latest.finishedAt,
        }
      : null,
    active: active ? { jobId: active.id, extractNumber: active.extractNumber, status: active.status } : null,
    tables: [...DATA_TABLES, 'codes'].map((table) => ({ table, rows: rows.get(table) ?? 0 })),
  };
}
