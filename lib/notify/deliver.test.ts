import { describe, expect, it } from 'vitest';
import { emailBody, retryDelaySeconds } from './deliver';

describe('delivery', () => {
  it('waits NOTIFY_RETRY_SECONDS after a failure, doubling, at most an hour, and gives up after the last attempt', () => {
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, 30, 12))).toEqual([30, 60, 120, 240]);
    expect(retryDelaySeconds(9, 30, 12)).toBe(3_600);
    expect(retryDelaySeconds(11, 30, 12)).toBe(3_600);
    expect(retryDelaySeconds(12, 30, 12)).toBeNull();
    expect(retryDelaySeconds(1, 30, 1)).toBeNull();
  });

  it('writes an email as the text, its details line by line, and its link', () => {
    expect(emailBody({ text: 'Import #3 completed.', payload: { details: ['enterprises: 2 inserted'], link: 'https://kbo.example.org/imports/3' } })).toBe(
      'Import #3 completed.\n\nenterprises: 2 inserted\n\nhttps://kbo.example.org/imports/3\n\n-- \nKBO import',
    );
    expect(emailBody({ text: 'KBO sync: the sync failed.', payload: {} })).toBe('KBO sync: the sync failed.\n\n-- \nKBO import');
  });
});
