'use client';

import { usePathname, useRouter } from 'next/navigation';
import { type Language, LANGUAGE_COOKIE, LANGUAGES } from '@/lib/register/shared';

/** NL / FR / DE / EN for the code texts; the choice is remembered in a cookie for a year. */
export function LanguageToggle({ current }: { current: Language }) {
  const router = useRouter();
  const path = usePathname();
  return (
    <div className="inline-flex overflow-hidden rounded-md border border-slate-300 text-xs" role="group" aria-label="Language of the code texts">
      {LANGUAGES.map((l) => (
        <button
          key={l}
          type="button"
          data-testid={`lang-${l}`}
          aria-pressed={l === current}
          className={`px-2.5 py-1 font-medium uppercase ${l === current ? 'bg-slate-900 text-white' : 'bg-white text-slate-700 hover:bg-slate-100'}`}
          onClick={() => {
            document.cookie = `${LANGUAGE_COOKIE}=${l}; path=/; max-age=31536000; samesite=strict`;
            router.replace(path);
            router.refresh();
          }}
        >
          {l}
        </button>
      ))}
    </div>
  );
}
