import { getDb } from '@/lib/db/client';
import { parseId } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { watcherOf } from '@/lib/http/watcher';
import { sendTest } from '@/lib/watch';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/** Sends a test digest to the watchlist's webhook and address now (signed as a real one): `{ sent: [{ channel, recipient, delivered, error }] }`. */
export const POST = route<Context>({ allow: 'reader' }, async (_request, { params }, principal) =>
  json(await sendTest(await getDb(), watcherOf(principal), parseId((await params).id, 'watchlist'))),
);
