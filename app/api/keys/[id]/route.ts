import { getDb } from '@/lib/db/client';
import { revokeKey } from '@/lib/auth/keys';
import { keyIdFrom } from '@/lib/http/params';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/** Revoke a key: refused from its next request on. */
export const DELETE = route<Context>({}, async (_request, { params }) => json(await revokeKey(await getDb(), await keyIdFrom(params))));
