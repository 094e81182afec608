import { describe, expect, it } from 'vitest';
import { refuseNul, refuseNulInUrl } from './nul';

describe('NUL characters', () => {
  it('are refused anywhere in a JSON value: strings, keys, arrays, nested objects', () => {
    expect(() => refuseNul({ fileName: 'a\u0000.zip' }, 'the body')).toThrow(/the body contains a NUL character/);
    expect(() => refuseNul({ 'k\u0000': 1 }, 'the body')).toThrow(/NUL/);
    expect(() => refuseNul({ a: [{ b: ['ok', 'x\u0000'] }] }, 'the body')).toThrow(/NUL/);
    expect(() => refuseNul({ a: [1, true, null, 'plain \\0 text'] }, 'the body')).not.toThrow();
  });

  it('are refused in any query parameter or path segment of an address', () => {
    for (const url of ['http://h/api/register?q=a%00b', 'http://h/api/register?place=Ge%00nt', 'http://h/api/register/0%00/history', 'http://h/api/imports?status=%00']) {
      expect(() => refuseNulInUrl(new Request(url)), url).toThrow(/NUL character/);
    }
    expect(() => refuseNulInUrl(new Request('http://h/api/register?q=100%25'))).not.toThrow();
  });
});
