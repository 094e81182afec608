import { Progress } from './_components/progress';

export default async function ImportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <Progress jobId={Number(id)} />;
}
