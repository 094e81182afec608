import { getDb } from '@/lib/db/client';
import { env } from '@/lib/env';
import { parseIndex, uploadIdFrom } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { putPart } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string; index: string }> };

/** One part: the raw bytes as the body, their sha256 (hex) in `X-Part-Sha256`. Sending a part again replaces it. */
export const PUT = route<Context>({ maxBodyBytes: () => env().IMPORT_PART_BYTES }, async (request, { params }) => {
  const uploadId = await uploadIdFrom(params);
  const index = parseIndex((await params).index);
  const data = new Uint8Array(await request.arrayBuffer());
  return json(await putPart(await getDb(), uploadId, index, data, request.headers.get('x-part-sha256') ?? ''));
});
