import { type JobStatus, statusLabel } from '@/lib/imports/shared';

const STYLE: Record<JobStatus, string> = {
  preparing: 'bg-slate-100 text-slate-700 ring-slate-300',
  running: 'bg-sky-50 text-sky-800 ring-sky-300',
  paused: 'bg-amber-50 text-amber-800 ring-amber-300',
  completed: 'bg-emerald-50 text-emerald-800 ring-emerald-300',
  failed: 'bg-red-50 text-red-800 ring-red-300',
  cancelling: 'bg-orange-50 text-orange-800 ring-orange-300',
  cancelled: 'bg-slate-100 text-slate-600 ring-slate-300',
  rolling_back: 'bg-orange-50 text-orange-800 ring-orange-300',
  rolled_back: 'bg-slate-100 text-slate-600 ring-slate-300',
  previewed: 'bg-violet-50 text-violet-800 ring-violet-300',
  discarded: 'bg-slate-100 text-slate-600 ring-slate-300',
};

/** The job's status as a badge; `label` adds context such as "with 2 failed batches". */
export function StatusBadge({ status, testId, note }: { status: JobStatus; testId?: string; note?: string }) {
  return (
    <span className="inline-flex items-center gap-2">
      <span
        className={`inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-medium ring-1 ring-inset ${STYLE[status]}`}
        data-testid={testId}
        data-status={status}
      >
        {statusLabel(status)}
      </span>
      {note && <span className="text-xs text-red-700">{note}</span>}
    </span>
  );
}
