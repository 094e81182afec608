import type { StagingProgress } from '@/lib/db/schema';
import { formatCount, percent } from '@/lib/imports/shared';
import { ProgressBar } from './progress-bar';

/** Prepare's progress: bytes of CSV read of all files, the file being staged, rows so far. */
export function StagingProgressView({ staging }: { staging: StagingProgress | null | undefined }) {
  const pct = staging ? percent(staging.bytesDone, staging.bytesTotal) : 0;
  return (
    <div className="space-y-1" data-testid="staging-progress">
      <ProgressBar value={pct} label="Staging" tone="sky" size="sm" />
      <p className="text-xs text-slate-600 tabular-nums">
        {staging
          ? `Checking and staging ${staging.file ?? 'the last rows'} (file ${Math.min(staging.filesDone + 1, staging.files)} of ${staging.files}) · ${formatCount(staging.rows)} rows staged · ${pct}%`
          : 'Checking the zip…'}
      </p>
    </div>
  );
}
