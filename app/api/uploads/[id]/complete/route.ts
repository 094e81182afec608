import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { jsonBody, uploadIdFrom } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { completeUpload, getJobStatus } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

const body = z.object({
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hex digits'),
  /** Preview first (a dry run), whatever the upload was started with. */
  preview: z.boolean().optional(),
});

/** Every part sent: checks the whole file's sha256 and creates the import (as POST /api/imports does), or its preview. */
export const POST = route<Context>({}, async (request, { params }) => {
  const uploadId = await uploadIdFrom(params);
  const { sha256, preview } = await jsonBody(request, body);
  const db = await getDb();
  const { jobId } = await completeUpload(db, uploadId, sha256, { preview });
  return json(await getJobStatus(db, jobId), 201);
});
