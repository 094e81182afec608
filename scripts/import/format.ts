/** How the import CLI prints: the progress bar, an import's summary, a line of the history, an error's code. */
import type { JobStatusView, JobSummary } from '../../lib/imports';

/** The progress bar the CLI redraws on a terminal: rows done, batches, rate, ETA, failures. */
export function bar(s: JobStatusView): string {
  const width = 30;
  // Rows, the figure the rate and the ETA are counted in; batches beside it.
  const done = s.rows.total ? s.rows.done / s.rows.total : 0;
  const filled = Math.round(done * width);
  const rate = s.rowsPerSecond ? `${s.rowsPerSecond.toLocaleString('en')} rows/s` : '';
  const eta = s.etaSeconds !== null ? `ETA ${s.etaSeconds}s` : '';
  const failed = s.batches.failed ? `${s.batches.failed} failed` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(done * 100).toFixed(0).padStart(3)}% of rows, ${s.batches.completed}/${s.batches.total} batches ${[rate, eta, failed].filter(Boolean).join('  ')}`;
}

/** An import's outcome: its extract and status, the rows per table and operation, then undo, resync, warning and rejected rows when there are some. */
export function summary(s: JobStatusView): string {
  const head = ['table', 'operation', 'rows', 'inserted', 'ended', 'unchanged', 'duplicate', 'no-op'];
  const lines = s.tables.flatMap((t) =>
    t.operations.map((o) => [t.table, o.operation, o.rows, o.inserted, o.ended, o.unchanged, o.duplicate, o.noop].map(String)),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  const job = s.job;
  const undo = job.undo
    ? [
        `undo: removed ${Object.values(job.undo.removed).reduce((a, b) => a + b, 0).toLocaleString('en')} rows, ` +
          `restored ${Object.values(job.undo.restored).reduce((a, b) => a + b, 0).toLocaleString('en')} rows`,
      ]
    : [];
  return [
    `${job.preview ? 'preview' : 'import'} #${job.id}: ${job.extractType} extract ${job.extractNumber} (${printable(job.fileName)}) ${job.status}`,
    fmt(head),
    ...lines.map(fmt),
    `total: ${s.rows.done.toLocaleString('en')} of ${s.rows.total.toLocaleString('en')} staged rows applied` +
      (s.rowsPerSecond && !s.job.undo ? ` at ${s.rowsPerSecond.toLocaleString('en')} rows/s while applying` : ''),
    ...undo,
    ...(s.drift ? [`resync: ${s.drift.summary}`] : []),
    ...(s.baseWarning ? [`warning: ${s.baseWarning}`] : []),
    ...(s.rejected > 0 ? [`rejected: ${s.rejected.toLocaleString('en')} bad rows were left out (GET /api/imports/${job.id}/report?format=csv lists them)`] : []),
  ].join('\n');
}

/**
 * What a preview worked out, after its table of rows: the entities each table would gain, end
 * and change (and re-issue unchanged), that nothing changed, and how to apply or discard it.
 */
export function previewSummary(s: JobStatusView, changes: { table: string; added: number; ended: number; modified: number; reissued: number }[]): string {
  const id = s.job.id;
  const touched = changes.filter((c) => c.added + c.ended + c.modified + c.reissued > 0);
  return [
    `preview: nothing was changed; applying extract ${s.job.extractNumber} would change these entities:`,
    ...(touched.length === 0 ? ['  none'] : []),
    ...touched.map(
      (c) =>
        `  ${c.table.padEnd(15)} ${c.added.toLocaleString('en')} added, ${c.ended.toLocaleString('en')} ended, ${c.modified.toLocaleString('en')} modified` +
        (c.reissued ? ` (${c.reissued.toLocaleString('en')} re-issued unchanged)` : ''),
    ),
    `the list, entity by entity: GET /api/imports/${id}/changes (?format=csv), or the import's page`,
    `apply it (from what it staged): npm run import -- apply ${id}`,
    `discard it: npm run import -- discard ${id}`,
  ].join('\n');
}

/** The code an error carries (ECONNREFUSED, 57P01, …), for a one-line message. */
export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; errors?: { code?: unknown }[]; message?: string };
  return String(e.code ?? e.errors?.[0]?.code ?? e.message ?? err);
}

/** Control characters in a name (a file's, say) are shown escaped, never sent to the terminal. */
const printable = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

/** One import on one line, for `list`: id, status, extract, batches, counts, file name. */
export function historyLine(j: JobSummary): string {
  const what = `${j.extractType ?? '?'} ${j.extractNumber ?? '?'}`;
  const counts = `inserted ${j.inserted.toLocaleString('en')}, ended ${j.ended.toLocaleString('en')}` + (j.rejected ? `, rejected ${j.rejected.toLocaleString('en')}` : '');
  return [`#${j.id}`.padEnd(6), j.status.padEnd(12), what.padEnd(12), `${j.batchesCompleted}/${j.batchesTotal} batches`.padEnd(16), counts.padEnd(40), printable(j.fileName)].join(' ');
}
