import { getDb } from '@/lib/db/client';
import { listKeys } from '@/lib/auth/keys';
import { DatabaseUnavailable } from '../_components/database-unavailable';
import { readPageData } from '../_lib/read';
import { requireAdmin } from '../_lib/session';
import { KeysPanel } from './_components/keys-panel';

export const dynamic = 'force-dynamic';

/** API keys of programs: made here (the key shown once), each with its last use, revoked here. */
export default async function KeysPage() {
  await requireAdmin('/keys');
  const read = await readPageData(async () => listKeys(await getDb()));
  if (!read.ok) return <DatabaseUnavailable message={read.message} />;
  return <KeysPanel initial={read.data} />;
}
