import { getDb } from '@/lib/db/client';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { entityHistory } from '@/lib/register';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ number: string }> };

/** Every change the imports made to one entity, newest first. */
export const GET = route<Context>({ allow: 'reader' }, async (_request, { params }) => {
  const { number } = await params;
  return json(await entityHistory(await getDb(), number));
});
