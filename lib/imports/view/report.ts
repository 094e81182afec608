import Papa from 'papaparse';
import type { Sql } from '../../db/client';
import { batchDurations } from '../sql/batches';
import { firstRowErrors, rowErrorsByFile } from '../sql/errors';
import { getJob } from '../sql/jobs';
import { getJobStatus, type JobStatusView } from './status';

export interface ImportReport {
  job: {
    id: number;
    fileName: string;
    sha256: string;
    extractType: string | null;
    extractNumber: number | null;
    mode: string | null;
    snapshotDate: string | null;
    status: string;
    forced: boolean;
    createdAt: string;
    preparedAt: string | null;
    finishedAt: string | null;
    error: unknown;
    warnings: string[];
  };
  /** Per table and operation: rows staged, and what applying them did. */
  tables: {
    table: string;
    operation: string;
    batches: number;
    completed: number;
    failed: number;
    staged: number;
    inserted: number;
    ended: number;
    unchanged: number;
    duplicates: number;
    noopDeletes: number;
  }[];
  rejected: { total: number; byFile: Record<string, number> };
  timings: { batches: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null; totalSeconds: number | null };
  undo: unknown;
  /** A resync: the drift it corrected (null for other imports). */
  drift: JobStatusView['drift'];
}

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The JSON summary of one import (GET /api/imports/:id/report). */
export async function importReport(sql: Sql, jobId: number): Promise<ImportReport> {
  const status = await getJobStatus(sql, jobId);
  const timing = await batchDurations(sql, jobId);
  const byFile = await rowErrorsByFile(sql, jobId);
  const j = status.job;
  const finished = j.finishedAt ? new Date(j.finishedAt).getTime() : null;
  return {
    job: {
      id: j.id,
      fileName: j.fileName,
      sha256: j.sha256,
      extractType: j.extractType,
      extractNumber: j.extractNumber,
      mode: j.mode,
      snapshotDate: j.snapshotDate,
      status: j.status,
      forced: j.forced,
      createdAt: iso(j.createdAt) as string,
      preparedAt: iso(j.preparedAt),
      finishedAt: iso(j.finishedAt),
      error: j.error ?? null,
      warnings: j.warnings,
    },
    tables: status.tables.flatMap((t) =>
      t.operations.map((o) => ({
        table: t.table,
        operation: o.operation,
        batches: o.batches,
        completed: o.completed,
        failed: o.failed,
        staged: o.rows,
        inserted: o.inserted,
        ended: o.ended,
        unchanged: o.unchanged,
        duplicates: o.duplicate,
        noopDeletes: o.noop,
      })),
    ),
    rejected: { total: status.rejected, byFile: Object.fromEntries(byFile.map((r) => [r.file, r.n])) },
    timings: {
      batches: timing?.n ?? 0,
      p50Ms: timing?.p50 ?? null,
      p95Ms: timing?.p95 ?? null,
      maxMs: timing?.max ?? null,
      totalSeconds: finished ? (finished - new Date(j.createdAt).getTime()) / 1000 : null,
    },
    undo: j.undo ?? null,
    drift: status.drift,
  };
}

/**
 * A cell a spreadsheet will not run: a value that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is read as a formula, so it gets a leading `'` (as OWASP advises for CSV
 * exports). The rejected values come from uploaded files, so they are never trusted.
 */
export function inertCell(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** The rejected rows of one import as CSV (GET /api/imports/:id/report?format=csv). */
export async function rejectedRowsCsv(db: Sql, jobId: number): Promise<string> {
  await getJob(db, jobId); // 404 for an unknown job
  const rows = await firstRowErrors(db, jobId);
  return Papa.unparse(
    {
      fields: ['file', 'line', 'column', 'value', 'reason', 'message'],
      data: rows.map((r) => [r.file, r.line, r.column, r.value, r.code, r.message].map((v) => (typeof v === 'string' ? inertCell(v) : v))),
    },
    { quotes: true, newline: '\r\n' },
  );
}
