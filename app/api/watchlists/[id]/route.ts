import { getDb } from '@/lib/db/client';
import { jsonBody, parseId } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { watcherOf } from '@/lib/http/watcher';
import { deleteWatchlist, getWatchlist, updateWatchlist, watchlistPatch } from '@/lib/watch';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };
const BODY_LIMIT = 4 * 1024 * 1024;
const idOf = async (params: Context['params']) => parseId((await params).id, 'watchlist');

/** One of the caller's watchlists, with the first 1,000 numbers it follows. */
export const GET = route<Context>({ allow: 'reader' }, async (_request, { params }, principal) => json(await getWatchlist(await getDb(), watcherOf(principal), await idOf(params))));

/** `{ "name"?, "numbers"? | "csv"? (all of them), "add"?, "remove"?, "search"? (null: none), "webhookUrl"?, "email"? }`. */
export const PATCH = route<Context>({ allow: 'reader', maxBodyBytes: BODY_LIMIT }, async (request, { params }, principal) => {
  const input = await jsonBody(request, watchlistPatch, BODY_LIMIT);
  return json(await updateWatchlist(await getDb(), watcherOf(principal), await idOf(params), input));
});

export const DELETE = route<Context>({ allow: 'reader' }, async (_request, { params }, principal) => json(await deleteWatchlist(await getDb(), watcherOf(principal), await idOf(params))));
