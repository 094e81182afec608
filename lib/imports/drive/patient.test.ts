import { describe, expect, it } from 'vitest';
import { patiently } from './patient';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('patiently', () => {
  it('waits out a database that is away, then returns what the call gives', async () => {
    let calls = 0;
    const waits: number[] = [];
    const result = await patiently({ maxWaitMs: 10_000, onWait: (ms) => waits.push(ms) }, async () => {
      calls++;
      if (calls < 3) throw refused();
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(waits).toEqual([500, 1_000]);
  });
  it('gives up past the limit, and never retries any other error', async () => {
    const started = Date.now();
    await expect(patiently({ maxWaitMs: 1_200 }, async () => Promise.reject(refused()))).rejects.toThrow('ECONNREFUSED');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_100);
    let calls = 0;
    const other = patiently({ maxWaitMs: 10_000 }, async () => {
      calls++;
      throw Object.assign(new Error('duplicate key'), { code: '23505' });
    });
    await expect(other).rejects.toThrow('duplicate key');
    expect(calls).toBe(1);
  });
});
