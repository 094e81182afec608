import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { createFetch, createUpload, createUploadInput, fetchUploadInput } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const body = z.union([fetchUploadInput, createUploadInput]);

/**
 * Starts an upload in parts (`{fileName, size}`: the answer gives the part size and count) or
 * a fetch from a URL (`{url}`); import options (`force`, `onError`, `maxRejected`,
 * `maxRejectedPercent`) apply when it completes.
 */
export const POST = route({}, async (request) => {
  const input = await jsonBody(request, body);
  const db = await getDb();
  return json('url' in input ? await createFetch(db, input) : await createUpload(db, input), 201);
});
