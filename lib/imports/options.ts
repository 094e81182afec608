import { z } from 'zod';

/** A zip's name as given: shown and stored, so no control characters (a NUL would not even store). */
export const fileNameSchema = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !/[\u0000-\u001f\u007f]/.test(n), 'the file name must not contain control characters');

/** How an import treats its file: given with an upload, kept until it completes, applied at prepare. */
export const importOptions = z.object({
  /** Accept an UPDATE out of sequence. */
  force: z.boolean().optional(),
  /** Bad rows: `continue` (default) rejects them into import_errors; `fail-fast` refuses the file. */
  onError: z.enum(['continue', 'fail-fast']).optional(),
  /** In `continue` mode, fail past this many rejected rows… */
  maxRejected: z.number().int().min(0).optional(),
  /** …or past this percentage of all rows (default IMPORT_MAX_REJECTED_PERCENT). */
  maxRejectedPercent: z.number().min(0).max(100).optional(),
  /**
   * A FULL into an empty register: load its tables first and build their indexes after, a
   * partition at a time (default: when its CSV files hold at least IMPORT_DEFER_INDEXES_MB).
   */
  deferIndexes: z.boolean().optional(),
  /**
   * Preview first (a dry run): stage and work out what the import would do, changing nothing;
   * then Apply (reusing what was staged) or Discard.
   */
  preview: z.boolean().optional(),
});
export type ImportOptions = z.infer<typeof importOptions>;

/** The same options sent as form fields (strings): `force=true`, `onError`, `maxRejected`, `maxRejectedPercent`, `deferIndexes=true|false`, `preview=true`. */
export function importOptionsFromForm(form: { get(name: string): unknown }): ImportOptions {
  // A field that is not a string (a file) is passed on as it is, for zod to refuse.
  const field = (name: string) => form.get(name) ?? undefined;
  const number = (name: string) => {
    const v = field(name);
    return typeof v === 'string' ? Number(v) : v;
  };
  return importOptions.parse({
    force: field('force') === 'true',
    onError: field('onError'),
    maxRejected: number('maxRejected'),
    maxRejectedPercent: number('maxRejectedPercent'),
    deferIndexes: field('deferIndexes') === undefined ? undefined : field('deferIndexes') === 'true',
    preview: field('preview') === 'true' || undefined,
  });
}
