import { z } from 'zod';
import { getDb } from '@/lib/db/client';
import { parseId } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { watcherOf } from '@/lib/http/watcher';
import { getWatchlist, matchFeed } from '@/lib/watch';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };
const query = z.object({ after: z.string().regex(/^(\d{1,9}|s\d{1,18})$/, 'after is an extract number, or the next an earlier answer gave').optional() });

/** `?after=<extract>` or `?after=<next>`: the watchlist's feed since: `{ matches: [{ extractNumber, jobId, number, kind, changes, withdrawnAt }], next, more }`. */
export const GET = route<Context>({ allow: 'reader' }, async (request, { params }, principal) => {
  const id = parseId((await params).id, 'watchlist');
  const { after } = query.parse(Object.fromEntries(new URL(request.url).searchParams));
  const sql = await getDb();
  await getWatchlist(sql, watcherOf(principal), id);
  return json(await matchFeed(sql, id, after));
});
