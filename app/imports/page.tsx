import { readdirSync } from 'node:fs';
import path from 'node:path';
import Link from 'next/link';
import { getDb } from '@/lib/db/client';
import { listJobs } from '@/lib/imports/status';
import { UploadForm } from './_components/upload-form';

export const dynamic = 'force-dynamic';

export default async function ImportsPage() {
  const jobs = await listJobs(await getDb());
  const samples = sampleFiles();
  return (
    <div className="space-y-8">
      <section className="space-y-3">
        <h1 className="text-2xl font-semibold">Imports</h1>
        <UploadForm />
        {samples.length > 0 && (
          <p className="text-sm text-slate-600" data-testid="samples">
            Samples to try, in order:{' '}
            {samples.map((f, i) => (
              <span key={f}>
                {i > 0 && ', '}
                <a className="underline" href={`/samples/${f}`} download>{f}</a>
              </span>
            ))}
          </p>
        )}
      </section>
      <table className="w-full text-left text-sm" data-testid="imports-table">
        <thead className="text-slate-500">
          <tr>
            <th className="py-2">#</th>
            <th>Extract</th>
            <th>Snapshot</th>
            <th>File</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id} className="border-t border-slate-200" data-testid={`import-row-${j.id}`}>
              <td className="py-2">
                <Link className="underline" href={`/imports/${j.id}`}>{j.id}</Link>
              </td>
              <td>{j.extractType} {j.extractNumber}</td>
              <td>{j.snapshotDate}</td>
              <td className="truncate">{j.fileName}</td>
              <td data-testid="import-status">{j.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
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
