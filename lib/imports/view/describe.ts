import { BATCH, isUndoing, isVoid, JOB, type JobStatus } from '../state/machine';
import type { BatchView, DriftCounts, JobStatusView, TableProgress } from './types';

/** Words a person reads on the progress page; pure, so the page and the tests share them. */

const SINGULAR: Record<string, string> = {
  enterprises: 'enterprise',
  establishments: 'establishment',
  denominations: 'denomination',
  addresses: 'address',
  contacts: 'contact',
  activities: 'activity',
  branches: 'branch',
  codes: 'code',
};

const VERB: Record<string, string> = { delete: 'Ending', insert: 'Inserting', replace: 'Replacing', resync: 'Comparing' };

function batchesOf(s: Pick<JobStatusView, 'tables'>, b: Pick<BatchView, 'table' | 'operation'>): number {
  const t = s.tables.find((x) => x.table === b.table);
  return t?.operations.find((o) => o.operation === b.operation)?.batches ?? 0;
}

/** "Ending 957 address rows of batch 13/15": the batch being applied (the first, if several). */
export function describeCurrent(s: Pick<JobStatusView, 'tables' | 'current' | 'job'>): string | null {
  const b = s.current[0];
  if (!b) return null;
  const rows = `${formatCount(b.rows)} ${SINGULAR[b.table] ?? b.table} row${b.rows === 1 ? '' : 's'}`;
  const more = s.current.length > 1 ? ` (and ${s.current.length - 1} more batch${s.current.length === 2 ? '' : 'es'} in parallel)` : '';
  return `${VERB[b.operation] ?? b.operation} ${rows} of batch ${b.batchNumber + 1}/${batchesOf(s, b)}${more}`;
}

export type TableState =
  | { kind: 'done' }
  | { kind: typeof BATCH.failed; failed: number }
  | { kind: typeof BATCH.processing; batch: number; of: number; phase: string }
  | { kind: typeof BATCH.pending; phase: string };

const PHASE: Record<string, string> = { delete: 'ending old rows', insert: 'inserting', replace: 'replacing codes', resync: 'comparing with the FULL' };

/** A table's state: done, failed, processing batch n/m (and its phase), or pending. */
export function tableState(t: TableProgress, current: BatchView[]): TableState {
  if (t.failed > 0) return { kind: BATCH.failed, failed: t.failed };
  if (t.completed === t.batches) return { kind: 'done' };
  const mine = current.filter((b) => b.table === t.table);
  // Deletes run before inserts, so the phase is the first operation with work left.
  const open = t.operations.find((o) => o.operation !== 'insert' && o.completed < o.batches) ?? t.operations.find((o) => o.completed < o.batches);
  const phase = PHASE[open?.operation ?? ''] ?? '';
  if (mine.length > 0 || (open && open.processing > 0)) {
    const op = t.operations.find((o) => o.operation === (mine[0]?.operation ?? open?.operation));
    return { kind: BATCH.processing, batch: (op?.completed ?? 0) + 1, of: op?.batches ?? t.batches, phase: PHASE[op?.operation ?? ''] ?? phase };
  }
  return { kind: BATCH.pending, phase };
}

export function tableStateText(s: TableState): string {
  switch (s.kind) {
    case 'done':
      return 'done';
    case BATCH.failed:
      return `${s.failed} failed`;
    case BATCH.processing:
      return `processing batch ${s.batch}/${s.of}`;
    case BATCH.pending:
      return BATCH.pending;
  }
}

/**
 * What a resync corrected, in a sentence: "Drift corrected: 12 rows ended and 30 inserted in
 * 3 tables; 4,210 rows were already right." Rows the register changed (ended and inserted
 * again) count in both.
 */
export function describeDrift(d: DriftCounts & { tables: (DriftCounts & { table: string })[] }, status: JobStatus): string {
  const changed = d.tables.filter((t) => t.ended + t.inserted > 0).length;
  const rows = (n: number) => `${formatCount(n)} row${n === 1 ? '' : 's'}`;
  const head =
    status === JOB.completed
      ? 'Drift corrected'
      : status === JOB.rolled_back || status === JOB.rolling_back
        ? 'Drift corrected, then undone by the rollback'
        : isUndoing(status) || isVoid(status)
          ? 'Drift found before the import stopped (undone)'
          : 'Drift found so far';
  if (d.ended + d.inserted === 0) return `${head}: none; all ${rows(d.unchanged)} already matched the FULL.`;
  return `${head}: ${rows(d.ended)} ended and ${formatCount(d.inserted)} inserted in ${changed} table${changed === 1 ? '' : 's'}; ${rows(d.unchanged)} already matched the FULL.`;
}

/**
 * The upload button's words: what importing this file will do, from its KBO name and where
 * the register stands (`registerAt`: the last applied extract, null when empty).
 */
export function submitLabel(fileName: string | null, registerAt: number | null): string {
  if (!fileName) return 'Import daily update';
  const m = /KboOpenData_(\d+)_\d{4}_\d{2}_\d{2}_(Full|Update)\.zip$/i.exec(fileName);
  if (!m) return 'Import this extract';
  const n = Number(m[1]);
  if ((m[2] as string).toLowerCase() === 'update') return `Apply update ${n}`;
  return registerAt === null ? `Load FULL ${n} into the empty register` : `Resync with FULL ${n}`;
}

/** What a paused job is holding, and where Resume takes it: an undo, staging, or its batches. */
export function describePause(s: { job: Pick<JobStatusView['job'], 'undo' | 'preparedAt'>; batches: Pick<JobStatusView['batches'], 'completed' | 'total'> }): string {
  const from = s.job.undo?.pausedFrom;
  if (from) return `Paused while being ${from === JOB.rolling_back ? 'rolled back' : 'cancelled'}: what is undone so far stays undone. Resume to finish undoing.`;
  if (!s.job.preparedAt) return 'Paused while staging the files: nothing is read or applied. Resume to carry on staging from where it stopped.';
  if (s.batches.completed === s.batches.total) return 'Paused: every batch is applied. Resume to finish the import.';
  return `Paused: no batch is being applied. Resume to carry on from batch ${s.batches.completed + 1} of ${s.batches.total}.`;
}

/** A completed FULL whose deferred indexes are still being built (lib/imports/jobs/indexes.ts). */
export function describeIndexing(i: { built: number; total: number }): string {
  return `Building the register's indexes after the load: ${formatCount(i.built)} of ${formatCount(i.total)} partitions' indexes built. Every row is in; searches and lists answer, more slowly, until the last is built.`;
}

/** Deletes below this many say nothing about the base either way. */
const BASE_CHECK_MIN_DELETES = 20;

/**
 * An UPDATE whose deletes nearly all found no current row was made for another base (an
 * extract missed, or another FULL loaded): say so, and what to do. Null when it matches.
 */
export function baseMismatch(tables: Pick<TableProgress, 'operations'>[], currentKeyRejects = 0): string | null {
  const deletes = tables.flatMap((t) => t.operations.filter((o) => o.operation === 'delete' && o.completed > 0));
  const keys = deletes.reduce((s, o) => s + o.rowsDone - o.duplicate, 0);
  const missed = deletes.reduce((s, o) => s + o.noop, 0);
  const warnings: string[] = [];
  if (currentKeyRejects > 0) {
    warnings.push(
      `${formatCount(currentKeyRejects)} row${currentKeyRejects === 1 ? '' : 's'} of this update insert a key the register already holds as current, with other values, that the update does not end: they were rejected (see the rejected rows), since an enterprise, establishment or branch is current once. Is the register at the extract this UPDATE follows?`,
    );
  }
  if (keys >= BASE_CHECK_MIN_DELETES && missed >= 0.9 * keys) {
    warnings.push(
      `${formatCount(missed)} of this update's ${formatCount(keys)} deletes found no current row: the register does not look like the state this UPDATE was made for (was an extract missed, or another FULL loaded?). Resync with the day's FULL to bring it back in line.`,
    );
  }
  return warnings.length ? warnings.join(' ') : null;
}

/** 75 -> "1 min 15 s"; null while unknown. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** 21500 -> "21,500". */
export const formatCount = (n: number) => n.toLocaleString('en');

export function percent(done: number, total: number): number {
  return total > 0 ? Math.floor((100 * done) / total) : 0;
}

/**
 * What a preview is and where it stands, for its page: worked out so far, waiting for Apply or
 * Discard (and until when), refused in advance when the register moved on, or discarded and
 * why. Null for an import that never was a preview.
 */
export function describePreview(s: { job: Pick<JobStatusView['job'], 'preview' | 'previewedAt' | 'status' | 'extractNumber' | 'error'>; preview: JobStatusView['preview']; totals: Pick<JobStatusView['totals'], 'inserted' | 'ended'> }): { tone: 'violet' | 'amber' | 'slate'; text: string } | null {
  const { job, preview } = s;
  if (!job.preview) return job.previewedAt ? { tone: 'slate', text: 'Previewed first, then applied from the rows the preview staged.' } : null;
  if (job.status === JOB.discarded) return { tone: 'slate', text: `${job.error?.message ?? 'Discarded.'} The register never changed.` };
  if (job.status === JOB.failed) return { tone: 'slate', text: 'Preview: the file would be refused, as said above. The register never changed.' };
  if (job.status !== JOB.previewed) {
    return { tone: 'violet', text: 'Preview: every batch is worked out as the import would apply it, then undone at once; the register does not change. Once it is worked out, apply it or discard it.' };
  }
  const rows = `insert ${formatCount(s.totals.inserted)} row${s.totals.inserted === 1 ? '' : 's'} and end ${formatCount(s.totals.ended)}`;
  const kept = preview ? ` It is kept until ${preview.expiresAt.slice(0, 16).replace('T', ' ')} UTC unless applied or discarded.` : '';
  if (preview && preview.head !== preview.basis) {
    return {
      tone: 'amber',
      text: `The register moved on since this preview was made (${preview.head > preview.basis ? `import #${preview.head} completed` : `import #${preview.basis} was rolled back`}): Apply would be refused. Discard it and preview the file again.`,
    };
  }
  return { tone: 'violet', text: `Preview worked out; the register has not changed. Applying extract ${job.extractNumber} would ${rows} (per table below), and change the entities listed below.${kept}` };
}
