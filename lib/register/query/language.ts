import { ImportFailure } from '../../errors';

/** The languages of the page; the register's code texts exist in NL, FR and DE (EN falls back to NL, then FR). */
export const LANGUAGES = ['nl', 'fr', 'de', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The cookie that remembers the chosen language. */
export const LANGUAGE_COOKIE = 'kbo_lang';

/** `?lang=`: one of LANGUAGES (any case), NL when absent; anything else is refused. */
export function languageOf(raw: string | null | undefined): Language {
  if (raw === null || raw === undefined || raw === '') return 'nl';
  const lang = raw.toLowerCase();
  if ((LANGUAGES as readonly string[]).includes(lang)) return lang as Language;
  throw new ImportFailure('VALIDATION', `lang must be one of ${LANGUAGES.join(', ')}, not ${JSON.stringify(raw.slice(0, 20))}.`);
}


/** The language the cookie remembers; NL when it holds none, or one that is not ours. */
export function savedLanguage(raw: string | undefined): Language {
  return (LANGUAGES as readonly string[]).includes(raw ?? '') ? (raw as Language) : 'nl';
}
