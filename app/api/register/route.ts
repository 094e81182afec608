import { getDb } from '@/lib/db/client';
import { json } from '@/lib/http/respond';
import { route } from '@/lib/http/route';
import { languageOf, searchQueryOf, searchRegister } from '@/lib/register';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Search: `?q=` a number or a name, `nace`, `place`, `form`, `status` filters, `page`, `lang`. */
export const GET = route({ allow: 'reader' }, async (request) => {
  const params = new URL(request.url).searchParams;
  return json(await searchRegister(await getDb(), searchQueryOf(params), languageOf(params.get('lang'))));
});
