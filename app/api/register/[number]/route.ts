import { getDb } from '@/lib/db/client';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { asOfParam, entityView, languageOf } from '@/lib/register';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ number: string }> };

/** One enterprise or establishment as the register holds it now, or `?asOf=N` as it stood just after extract N; codes as text in `?lang=`. */
export const GET = route<Context>({ allow: 'reader' }, async (request, { params }) => {
  const { number } = await params;
  const search = new URL(request.url).searchParams;
  return json(await entityView(await getDb(), number, languageOf(search.get('lang')), asOfParam(search.get('asOf'))));
});
