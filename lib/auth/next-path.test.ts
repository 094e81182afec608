import { describe, expect, it } from 'vitest';
import { DEFAULT_NEXT, safeNextPath } from './next-path';

describe('safeNextPath', () => {
  it('keeps a path of this site', () => {
    expect(safeNextPath('/imports/12')).toBe('/imports/12');
    expect(safeNextPath('/imports?x=1#top')).toBe('/imports?x=1#top');
    expect(safeNextPath(['/', '/other'])).toBe('/');
  });

  it('refuses anything a browser could take off the site', () => {
    for (const evil of [
      'https://evil.example/',
      '//evil.example',
      '/\t/evil.example/phish',
      '/\n/evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      '/%09/evil.example'.replace('%09', '\t'),
      'javascript:alert(1)',
      ' /imports',
      '',
      undefined,
    ]) {
      expect(safeNextPath(evil), String(evil)).toBe(DEFAULT_NEXT);
    }
  });
});
