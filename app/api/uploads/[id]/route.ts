import { getDb } from '@/lib/db/client';
import { uploadIdFrom } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { uploadView } from '@/lib/imports';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/** An upload's parts so far (to resume it: send the ones not in `received`). */
export const GET = route<Context>({}, async (_request, { params }) => json(await uploadView(await getDb(), await uploadIdFrom(params))));
