import { getDb } from '@/lib/db/client';
import { syncStatus } from '@/lib/sync';
import { DatabaseUnavailable } from '../_components/database-unavailable';
import { readPageData } from '../_lib/read';
import { requireAdmin } from '../_lib/session';
import { SyncPanel } from './_components/sync-panel';

export const dynamic = 'force-dynamic';

/** The sync with the KBO portal: the button that brings the register up to date, where it stands, its runs. */
export default async function SyncPage() {
  await requireAdmin('/sync');
  const read = await readPageData(async () => syncStatus(await getDb()));
  if (!read.ok) return <DatabaseUnavailable message={read.message} />;
  return <SyncPanel initial={JSON.parse(JSON.stringify(read.data))} />;
}
