import { getDb } from '@/lib/db/client';
import { handle, json } from '@/lib/http/respond';
import { ImportFailure } from '@/lib/imports/errors';
import { prepareImport } from '@/lib/imports/prepare';
import { listJobs } from '@/lib/imports/status';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The import history, newest first. */
export function GET() {
  return handle(async () => json({ imports: await listJobs(await getDb()) }));
}

/** prepare: multipart `file` (the KBO zip), optional `force=true`. */
export function POST(request: Request) {
  return handle(async () => {
    const form = await request.formData().catch(() => {
      throw new ImportFailure('VALIDATION', 'Send the zip as multipart/form-data in a field named "file".');
    });
    const file = form.get('file');
    if (!(file instanceof File)) throw new ImportFailure('VALIDATION', 'Send the zip as multipart/form-data in a field named "file".');
    const status = await prepareImport(await getDb(), {
      fileName: file.name || 'upload.zip',
      data: new Uint8Array(await file.arrayBuffer()),
      force: form.get('force') === 'true',
    });
    return json(status, 201);
  });
}
