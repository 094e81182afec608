import Link from 'next/link';
import { requireAdmin } from './_lib/session';

export const dynamic = 'force-dynamic';

export default async function Home() {
  await requireAdmin('/');
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Keep a PostgreSQL copy of the KBO register current</h1>
      <p className="max-w-2xl text-slate-600">
        Upload a KBO Open Data extract (the daily UPDATE zip, or a FULL zip into an empty database). It is checked,
        staged, and applied in short batches, each exactly once.
      </p>
      <Link href="/imports" className="inline-block rounded bg-slate-900 px-4 py-2 text-white hover:bg-slate-700" data-testid="go-imports">
        Go to imports
      </Link>
    </div>
  );
}
