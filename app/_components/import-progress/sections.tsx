'use client';

import { ProgressBar } from '@/app/_components/progress-bar';
import { describePreview, formatCount, JOB, type JobStatusView, percent } from '@/lib/imports/shared';

const fmt = formatCount;

/** A resync: the FULL compared with the current rows, table by table. */
export function DriftView({ drift, codes }: { drift: NonNullable<JobStatusView['drift']>; codes: { inserted: number; ended: number; unchanged: number } | null }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label="Resync" data-testid="drift">
      <h2 className="font-semibold">Resync with the FULL extract</h2>
      <p className="mb-3 text-sm text-slate-700" data-testid="drift-summary">
        {drift.summary}
      </p>
      <table className="w-full text-sm tabular-nums">
        <thead className="text-left text-xs text-slate-500">
          <tr>
            <th className="font-medium">Table</th>
            <th className="text-right font-medium">Ended</th>
            <th className="text-right font-medium">Inserted</th>
            <th className="text-right font-medium">Unchanged</th>
          </tr>
        </thead>
        <tbody>
          {drift.tables.map((t) => (
            <tr key={t.table} data-testid={`drift-${t.table}`}>
              <td>{t.table}</td>
              <td className="text-right">{fmt(t.ended)}</td>
              <td className="text-right">{fmt(t.inserted)}</td>
              <td className="text-right">{fmt(t.unchanged)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {codes && (
        <p className="mt-2 text-xs text-slate-500 tabular-nums" data-testid="drift-codes">
          Codes (code.csv replaces the code table as a whole, so they are not drift): inserted {fmt(codes.inserted)} · ended {fmt(codes.ended)} · unchanged {fmt(codes.unchanged)}.
          With them, these add up to the totals above.
        </p>
      )}
    </section>
  );
}

/** An undo (cancel or roll back) under way or done: rows removed and restored so far. */
export function UndoProgress({ undo, status }: { undo: NonNullable<JobStatusView['job']['undo']>; status: JobStatusView['job']['status'] }) {
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  const planned = Object.values(undo.planned).reduce((a, p) => a + p.remove + p.restore, 0);
  const done = sum(undo.removed) + sum(undo.restored);
  const finished = status === JOB.cancelled || status === JOB.rolled_back;
  return (
    <div className="space-y-1" data-testid="undo-progress">
      <ProgressBar value={finished ? 100 : percent(Math.min(done, planned), planned)} label="Undo progress" tone="orange" size="sm" />
      <p className="text-sm text-slate-700 tabular-nums">
        {finished ? 'Undone: ' : 'Undoing: '}
        removed {fmt(sum(undo.removed))} rows this import added, restored {fmt(sum(undo.restored))} rows it ended
        {!finished && planned > 0 ? ` (of about ${fmt(planned)})` : ''}.
      </p>
    </div>
  );
}

const PREVIEW_TONE = {
  violet: 'border-violet-200 bg-violet-50 text-violet-900',
  amber: 'border-amber-200 bg-amber-50 text-amber-900',
  slate: 'border-slate-200 bg-slate-50 text-slate-700',
};

/** A preview: what it is, what it found, and whether it can still be applied. */
export function PreviewNote({ s }: { s: JobStatusView }) {
  const note = describePreview(s);
  if (!note) return null;
  return (
    <div role="status" className={`rounded-md border px-3 py-2 text-sm ${PREVIEW_TONE[note.tone]}`} data-testid="preview-note" data-tone={note.tone}>
      {note.text}
    </div>
  );
}
