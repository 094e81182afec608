import { describe, expect, it } from 'vitest';
import { checkBodySize } from './guard';
import { jsonBody, parseId, parseIndex } from './params';
import { z } from 'zod';

const bodyOf = (bytes: number) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new Uint8Array(bytes).fill(0x20));
      c.close();
    },
  });

describe('request parameters', () => {
  it('takes ids and part numbers in plain decimal only', () => {
    expect(parseId('12', 'import')).toBe(12);
    expect(parseIndex('0')).toBe(0);
    expect(parseIndex('7')).toBe(7);
    for (const bad of ['0x1', '1e2', ' 1', '01', '-1', '1.0', '', '99999999999', '1\u0000']) expect(() => parseId(bad, 'import'), bad).toThrow(/is not an import id/);
    for (const bad of ['0x0', '00', '1e1', '-0', ' 0', '+1', '']) expect(() => parseIndex(bad), bad).toThrow(/is not a part number/);
  });

  it('a POST with no body and no length is an empty body; one sent without its length is read within the limit', async () => {
    const empty = new Request('http://x/api/imports/1/finalize', { method: 'POST' });
    expect(() => checkBodySize(empty, 64 * 1024, true)).not.toThrow();
    expect(await jsonBody(empty, z.object({ budgetMs: z.number().optional() }))).toEqual({});

    const long = new Request('http://x/api/imports/1/step', { method: 'POST', body: bodyOf(70 * 1024), duplex: 'half' } as RequestInit);
    expect(long.headers.get('content-length')).toBeNull();
    expect(() => checkBodySize(long, 64 * 1024, true)).not.toThrow();
    await expect(jsonBody(long, z.object({}))).rejects.toThrow(/more than the 65536 bytes allowed here/);

    // An upload route needs the length up front.
    const upload = new Request('http://x/api/imports', { method: 'POST', body: bodyOf(10), duplex: 'half' } as RequestInit);
    expect(() => checkBodySize(upload, 1e9, false)).toThrow(/Send a Content-Length/);
  });
});
