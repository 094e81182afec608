import { getDb } from '@/lib/db/client';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { entityView } from '@/lib/register/entity';
import { languageOf } from '@/lib/register/language';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ number: string }> };

/** One enterprise or establishment as the register holds it now, codes as text in `?lang=nl|fr|de|en`. */
export const GET = route<Context>({}, async (request, { params }) => {
  const { number } = await params;
  const lang = languageOf(new URL(request.url).searchParams.get('lang'));
  return json(await entityView((await getDb()).$client, number, lang));
});
