import { requireAdmin } from '../../_lib/session';
import { Progress } from './_components/progress';

export const dynamic = 'force-dynamic';

export default async function ImportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  await requireAdmin(`/imports/${encodeURIComponent(id)}`);
  return <Progress jobId={Number(id)} />;
}
