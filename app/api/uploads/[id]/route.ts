import { getDb } from '@/lib/db/client';
import { uploadIdFrom } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { discardUpload, uploadView } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/** An upload's parts so far (to resume it: send the ones not in `received`). */
export const GET = route<Context>({}, async (_request, { params }) => json(await uploadView(await getDb(), await uploadIdFrom(params))));

/** Discards an upload not completed (its parts dropped, its place among the open uploads freed). */
export const DELETE = route<Context>({}, async (_request, { params }) => {
  const uploadId = await uploadIdFrom(params);
  await discardUpload(await getDb(), uploadId);
  return json({ uploadId, discarded: true });
});
