import { ImportFailure } from '../../../errors';
import { FATAL_ROW_CODES, rejectionVerdict, type RejectPolicy, type RowError } from '../../read/rows';
import { MAX_KEPT_ERRORS } from '../../sql/errors';

/**
 * The reject policy of prepare: which bad rows a step keeps, and when they refuse the file.
 * Three verdicts: a step's own (a fatal error, or any bad row in fail-fast), `maxRejected`
 * over the files read so far, and the whole extract's once every file is read.
 */

/** The bad rows one step found: all counted, the first ones kept (up to MAX_KEPT_ERRORS per import). */
export class StepRejections {
  readonly kept: RowError[] = [];
  count = 0;
  /** The first error after which the file cannot be read on. */
  fatal: RowError | null = null;

  constructor(private readonly keptBefore: number) {}

  add(e: RowError): void {
    this.count++;
    if (!this.fatal && FATAL_ROW_CODES.has(e.code)) this.fatal = e;
    if (this.keptBefore + this.kept.length < MAX_KEPT_ERRORS) this.kept.push(e);
  }
}

/** A step's own verdict: a fatal error, or (fail-fast) any bad row. */
export function stepVerdict(onError: RejectPolicy['onError'], r: StepRejections, rowsRead: number): string | null {
  return rejectionVerdict({ onError, maxRejected: null, maxRejectedPercent: null }, r.count, rowsRead, r.fatal);
}

/** `maxRejected`, checked as the rejected rows add up over the files. */
export function countVerdict(maxRejected: number, rejectedSoFar: number, rowsRead: number): string | null {
  return rejectionVerdict({ onError: 'continue', maxRejected, maxRejectedPercent: null }, rejectedSoFar, rowsRead, null);
}

/** The whole extract's verdict, once every file is read (the percentage needs every row). */
export function extractVerdict(policy: RejectPolicy, rejected: number, rows: number): string | null {
  return rejectionVerdict(policy, rejected, rows + rejected, null);
}

/**
 * The failure that ends a prepare, naming the first bad row; `shown` are the rows its answer
 * lists. `rowErrors` (a step's kept rows, not yet stored) go to import_errors when the job
 * fails (failPrepare), and never into a response.
 */
export function refusal(jobId: number, verdict: string, first: RowError, total: number, shown: RowError[], rowErrors: RowError[] = []): ImportFailure {
  return new ImportFailure('VALIDATION', `${verdict} First problem: ${first.message} Fix the file and upload it again.`, {
    jobId,
    errorCount: total,
    errors: shown.slice(0, 20),
    rowErrors,
  });
}

/** Takes the rows a refusal carries for import_errors out of its details. */
export function takeRowErrors(failure: ImportFailure): RowError[] {
  const details = failure.details as { rowErrors?: RowError[] } | undefined;
  const rowErrors = details?.rowErrors ?? [];
  if (details?.rowErrors) delete details.rowErrors;
  return rowErrors;
}

/** The verdict on an error no row can be read past (the file has no header at all). */
export function fatalVerdict(e: RowError): string {
  return rejectionVerdict({ onError: 'continue', maxRejected: null, maxRejectedPercent: null }, 1, 0, e) as string;
}
