import { getDb } from '@/lib/db/client';
import { jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { createWatchlist, listWatchlists, watchlistInput } from '@/lib/watch';
import { watcherOf } from '@/lib/http/watcher';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** A watchlist of 100,000 numbers sent as JSON or CSV text. */
const BODY_LIMIT = 4 * 1024 * 1024;

/** The caller's watchlists (an admin: every one), newest first. */
export const GET = route({ allow: 'reader' }, async (_request, _ctx, principal) => json({ watchlists: await listWatchlists(await getDb(), watcherOf(principal)) }));

/**
 * `{ "name", "numbers"?: [...], "csv"?: "…", "search"?: { "nace"?, "place"?, "form"?, "status"?, "q"? }, "webhookUrl"?, "email"? }`
 * → 201 `{ id, secret, members, invalid, invalidCount }`: the numbers it could not read, with why; the secret (which signs its digests) shown this once.
 */
export const POST = route({ allow: 'reader', maxBodyBytes: BODY_LIMIT }, async (request, _ctx, principal) => {
  const input = await jsonBody(request, watchlistInput, BODY_LIMIT);
  return json(await createWatchlist(await getDb(), watcherOf(principal), input), 201);
});
