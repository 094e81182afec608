import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { env } from '@/lib/env';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { ImportFailure } from '@/lib/imports/errors';
import { createImport } from '@/lib/imports/jobs/create';
import { prepareSteps } from '@/lib/imports/jobs/prepare-step';
import { getJobStatus, listJobs } from '@/lib/imports/view/status';
import { storeUpload } from '@/lib/imports/store/sources';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/** The import history, newest first (`?limit=`, default 50). */
export const GET = route({}, async (request) => {
  const { limit } = listQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  return json({ imports: await listJobs(await getDb(), limit) });
});

const uploadOptions = z.object({
  onError: z.enum(['continue', 'fail-fast']).optional(),
  maxRejected: z.coerce.number().int().min(0).optional(),
  maxRejectedPercent: z.coerce.number().min(0).max(100).optional(),
});

/**
 * prepare: multipart `file` (the KBO zip), stored in the database, then checked and turned
 * into a job (`preparing`, or `running` once staged); optional `force=true`, `onError`, `maxRejected`, `maxRejectedPercent`. */
export const POST = route({ maxBodyBytes: () => env().MAX_UPLOAD_MB * 1024 * 1024 }, async (request) => {
  const form = await request.formData().catch(() => {
    throw new ImportFailure('VALIDATION', 'Send the zip as multipart/form-data in a field named "file".');
  });
  const file = form.get('file');
  if (!(file instanceof File)) throw new ImportFailure('VALIDATION', 'Send the zip as multipart/form-data in a field named "file".');
  const options = uploadOptions.parse({
    onError: form.get('onError') ?? undefined,
    maxRejected: form.get('maxRejected') ?? undefined,
    maxRejectedPercent: form.get('maxRejectedPercent') ?? undefined,
  });
  const db = await getDb();
  const fileName = file.name || 'upload.zip';
  const { uploadId } = await storeUpload(db.$client, fileName, file.stream() as unknown as AsyncIterable<Uint8Array>);
  const created = await createImport(db, { fileName, uploadId, force: form.get('force') === 'true', ...options });
  // The first prepare steps run here (a daily update is prepared by the time this answers);
  // the rest, for a large extract, through process-batch like everything else.
  await prepareSteps(db.$client, created.job.id, env().IMPORT_BATCH_BUDGET_MS);
  return json(await getJobStatus(db, created.job.id), 201);
});
