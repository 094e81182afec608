import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { env } from '@/lib/env';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { ImportFailure } from '@/lib/imports/errors';
import { prepareImport } from '@/lib/imports/prepare';
import { listJobs } from '@/lib/imports/status';

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

/** prepare: multipart `file` (the KBO zip); optional `force=true`, `onError`, `maxRejected`, `maxRejectedPercent`. */
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
  const status = await prepareImport(await getDb(), {
    fileName: file.name || 'upload.zip',
    data: new Uint8Array(await file.arrayBuffer()),
    force: form.get('force') === 'true',
    ...options,
  });
  return json(status, 201);
});
