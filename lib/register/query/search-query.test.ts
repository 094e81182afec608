import { describe, expect, it } from 'vitest';
import { checkQuery, MAX_PAGE, searchQueryOf } from './search-query';

describe('a search query', () => {
  it('trims its parts, drops empty ones, reads NACE with dots and status in any case', () => {
    expect(checkQuery({ q: '  Maes ', nace: '62.010', status: 'ac', place: ' ', form: '' })).toEqual({
      q: 'Maes',
      nace: '62010',
      status: 'AC',
      place: undefined,
      form: undefined,
      page: 1,
    });
  });

  it('needs at least one part and refuses what is not a code or out of range', () => {
    expect(() => checkQuery({})).toThrow(/Give a number or a name/);
    expect(() => checkQuery({ q: ' ', place: '' })).toThrow(/Give a number or a name/);
    expect(() => checkQuery({ form: '01 4' })).toThrow(/form must be a code/);
    expect(() => checkQuery({ nace: "1' or 1=1" })).toThrow(/nace must be a code/);
    expect(() => checkQuery({ q: 'x'.repeat(201) })).toThrow(/longer than 200/);
    expect(() => checkQuery({ q: 'x', page: 0 })).toThrow(/page must be/);
    expect(() => checkQuery({ q: 'x', page: MAX_PAGE + 1 })).toThrow(/page must be/);
    expect(() => checkQuery({ q: 'x', page: 1.5 })).toThrow(/page must be/);
  });

  it('comes from URL parameters, a page only as digits', () => {
    expect(searchQueryOf(new URLSearchParams('q=Gent&page=3&other=1'))).toEqual({ q: 'Gent', page: 3, nace: undefined, place: undefined, form: undefined, status: undefined });
    expect(() => searchQueryOf(new URLSearchParams('q=x&page=2e3'))).toThrow(/page must be/);
    expect(() => searchQueryOf(new URLSearchParams('q=x&page=-1'))).toThrow(/page must be/);
  });

  it('refuses a NUL character in the text and the place, saying so', () => {
    expect(() => checkQuery({ q: 'a\u0000b' })).toThrow(/search text contains a NUL character/);
    expect(() => checkQuery({ place: 'Ge\u0000nt' })).toThrow(/place contains a NUL character/);
    expect(() => checkQuery(searchQueryOf(new URLSearchParams('q=a%00b')))).toThrow(/NUL/);
  });
});
