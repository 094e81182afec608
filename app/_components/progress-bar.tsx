/** A labelled, accessible progress bar (`aria-valuenow` from 0 to 100). */
export function ProgressBar({
  value,
  label,
  tone = 'emerald',
  size = 'md',
  testId,
}: {
  value: number;
  label: string;
  tone?: 'emerald' | 'sky' | 'amber' | 'red' | 'orange';
  size?: 'sm' | 'md';
  testId?: string;
}) {
  const pct = Math.max(0, Math.min(100, Math.round(value)));
  const fill = { emerald: 'bg-emerald-600', sky: 'bg-sky-600', amber: 'bg-amber-500', red: 'bg-red-600', orange: 'bg-orange-500' }[tone];
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuenow={pct}
      aria-valuemin={0}
      aria-valuemax={100}
      data-testid={testId}
      className={`w-full overflow-hidden rounded-full bg-slate-200 ${size === 'md' ? 'h-3' : 'h-2'}`}
    >
      <div className={`h-full rounded-full transition-[width] duration-500 ${fill}`} style={{ width: `${pct}%` }} />
    </div>
  );
}
