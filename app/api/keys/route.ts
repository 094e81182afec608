import { getDb } from '@/lib/db/client';
import { createKey, listKeys, newKeyInput } from '@/lib/auth/keys';
import { jsonBody } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The API keys of programs (never the keys themselves): admins only. */
export const GET = route({}, async () => json({ keys: await listKeys(await getDb()) }));

/** `{ "name", "scope": "read" }` → 201 `{ id, key }`: the key is shown this once, and stored hashed. */
export const POST = route({}, async (request, _ctx, principal) => {
  const input = await jsonBody(request, newKeyInput);
  return json(await createKey(await getDb(), input, principal?.user ?? 'unknown'), 201);
});
