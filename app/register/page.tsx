import { requireAdmin } from '../_lib/session';
import { NumberForm } from './_components/number-form';

export const dynamic = 'force-dynamic';

/** The register: look an entity up by its number. */
export default async function RegisterPage() {
  await requireAdmin('/register');
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Register</h1>
      <p className="text-slate-700">Look up an enterprise or establishment by its number, in any common form.</p>
      <NumberForm />
    </div>
  );
}
