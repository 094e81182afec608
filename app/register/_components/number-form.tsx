'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { parseRegisterNumber } from '@/lib/register/number';

/** Look up an enterprise or establishment by its number, typed in any common form. */
export function NumberForm({ initial = '' }: { initial?: string }) {
  const router = useRouter();
  const [value, setValue] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      className="flex flex-wrap items-start gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        const parsed = parseRegisterNumber(value);
        if (!parsed.ok) return setProblem(parsed.message);
        setProblem(null);
        router.push(`/register/${parsed.number}`);
      }}
    >
      <label className="sr-only" htmlFor="register-number">
        Enterprise or establishment number
      </label>
      <input
        id="register-number"
        data-testid="register-number"
        className="w-72 rounded-md border border-slate-300 px-3 py-2 text-sm"
        placeholder="0200.065.765, BE0200065765, …"
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit" data-testid="register-lookup" className="rounded-md bg-slate-900 px-4 py-2 text-sm font-medium text-white hover:bg-slate-700">
        Look up
      </button>
      {problem && (
        <p role="alert" data-testid="register-problem" className="w-full text-sm text-red-700">
          {problem}
        </p>
      )}
    </form>
  );
}
