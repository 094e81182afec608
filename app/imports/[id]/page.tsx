import { requireAdmin } from '../../_lib/session';
import { Changes } from './_components/changes';
import { Progress } from '../../_components/import-progress/progress';

export const dynamic = 'force-dynamic';

export default async function ImportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireAdmin(`/imports/${encodeURIComponent(id)}`);
  return (
    <div className="space-y-8">
      <Progress jobId={Number(id)} />
      <Changes jobId={Number(id)} />
    </div>
  );
}
