import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { env } from '@/lib/env';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { ImportFailure } from '@/lib/errors';
import { fileNameSchema, getJobStatus, historyPage, importOptionsFromForm, JOB_STATUSES, type JobStatus, startImport, storeUpload } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  /** Comma-separated statuses, e.g. `completed,rolled_back`. */
  status: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(JOB_STATUSES as [JobStatus, ...JobStatus[]])))
    .optional(),
  type: z.enum(['full', 'update']).optional(),
});

/** The import history, newest first: `?limit=` (default 50), `offset`, `status`, `type`; `total` counts every match. */
export const GET = route({}, async (request) => {
  const q = listQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  return json(await historyPage(await getDb(), { limit: q.limit, offset: q.offset, statuses: q.status, extractType: q.type }));
});

/**
 * prepare: multipart `file` (the KBO zip), stored in the database, then checked and turned
 * into a job (`preparing`, or `running` once staged); optional `force=true`, `onError`,
 * `maxRejected`, `maxRejectedPercent`, and `preview=true` (a dry run: Apply or Discard it after).
 */
export const POST = route({ maxBodyBytes: () => env().MAX_UPLOAD_MB * 1024 * 1024 }, async (request) => {
  const started = Date.now();
  const form = await request.formData().catch(() => {
    throw new ImportFailure('VALIDATION', 'Send the zip as multipart/form-data in a field named "file".');
  });
  const file = form.get('file');
  if (!(file instanceof File)) throw new ImportFailure('VALIDATION', 'Send the zip as multipart/form-data in a field named "file".');
  const options = importOptionsFromForm(form);
  const db = await getDb();
  const fileName = fileNameSchema.parse(file.name || 'upload.zip');
  const { uploadId } = await storeUpload(db, fileName, file.stream() as unknown as AsyncIterable<Uint8Array>);
  const { jobId } = await startImport(db, { fileName, uploadId, ...options }, undefined, started);
  return json(await getJobStatus(db, jobId), 201);
});
