import { readdirSync } from 'node:fs';
import path from 'node:path';
import Link from 'next/link';
import { getDb } from '@/lib/db/client';
import { env } from '@/lib/env';
import { historyPage, registerAt } from '@/lib/imports';
import { portalConfigured } from '@/lib/sync';
import { DatabaseUnavailable } from '../_components/database-unavailable';
import { SyncSetup } from '../_components/sync-setup';
import { readPageData } from '../_lib/read';
import { requireAdmin } from '../_lib/session';
import { HISTORY_PAGE } from './_lib/history';
import { JobsTable } from './_components/jobs-table';
import { UploadForm } from './_components/upload-form';

export const dynamic = 'force-dynamic';

export default async function ImportsPage() {
  await requireAdmin('/imports');
  const read = await readPageData(async () => {
    const db = await getDb();
    return Promise.all([historyPage(db, { limit: HISTORY_PAGE }), registerAt(db)]);
  });
  if (!read.ok) return <DatabaseUnavailable message={read.message} />;
  const [history, at] = read.data;
  const samples = sampleFiles();
  return (
    <div className="space-y-8">
      <section className="space-y-3" aria-labelledby="imports-heading">
        <h1 id="imports-heading" className="text-2xl font-semibold">
          Imports
        </h1>
        {!portalConfigured() && <SyncSetup />}
        {portalConfigured() && (
          <p className="text-sm">
            <Link href="/sync" data-testid="sync-link" className="rounded-md bg-slate-900 px-3 py-1.5 font-medium text-white hover:bg-slate-700">
              Import daily update
            </Link>{' '}
            <span className="text-slate-600">fetches from the KBO portal whatever the register lacks and imports it; upload below a file from elsewhere.</span>
          </p>
        )}
        <UploadForm partBytes={env().IMPORT_PART_BYTES} registerAt={at} />
        {samples.length > 0 && (
          <p className="text-sm text-slate-600" data-testid="samples">
            Samples to try, in order:{' '}
            {samples.map((f, i) => (
              <span key={f}>
                {i > 0 && ', '}
                <a className="text-sky-700 underline underline-offset-2" href={`/samples/${f}`} download>
                  {f}
                </a>
              </span>
            ))}
          </p>
        )}
      </section>
      <section className="space-y-3" aria-label="History">
        <h2 className="text-lg font-semibold">History</h2>
        <JobsTable initial={JSON.parse(JSON.stringify(history))} />
      </section>
    </div>
  );
}

function sampleFiles(): string[] {
  try {
    return readdirSync(path.join(process.cwd(), 'public', 'samples')).filter((f) => f.endsWith('.zip')).sort();
  } catch {
    return [];
  }
}
