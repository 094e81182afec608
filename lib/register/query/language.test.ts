import { describe, expect, it } from 'vitest';
import { languageOf, savedLanguage } from './language';

describe('the language of the code texts', () => {
  it('from ?lang=: one of ours in any case, NL when absent, anything else refused', () => {
    expect(languageOf(null)).toBe('nl');
    expect(languageOf('FR')).toBe('fr');
    expect(() => languageOf('xx')).toThrow(/lang must be one of nl, fr, de, en/);
  });

  it('from the cookie: one of ours, else NL (a cookie is never refused)', () => {
    expect(savedLanguage('de')).toBe('de');
    expect(savedLanguage(undefined)).toBe('nl');
    expect(savedLanguage('xx')).toBe('nl');
  });
});
