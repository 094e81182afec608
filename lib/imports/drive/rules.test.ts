import { describe, expect, it } from 'vitest';
import { backoffMs, nextMove, type DriveSnapshot } from './rules';

const base: DriveSnapshot = { status: 'running', pending: 3, processing: 1, blocked: 0, readyToFinalize: false, finishing: false, didWork: false };

describe('nextMove', () => {
  it('keeps going while a call does work', () => {
    expect(nextMove({ ...base, didWork: true })).toBe('again');
    expect(nextMove({ ...base, status: 'cancelling', didWork: true })).toBe('again');
    expect(nextMove({ ...base, status: 'rolling_back', didWork: true })).toBe('again');
  });
  it('waits while others hold the remaining batches or the undo', () => {
    expect(nextMove({ ...base, pending: 0 })).toBe('wait');
    expect(nextMove({ ...base, status: 'rolling_back' })).toBe('wait');
    expect(nextMove({ ...base, status: 'preparing' })).toBe('wait');
  });
  it('finalizes once every batch is done, even after a call that did work is answered', () => {
    expect(nextMove({ ...base, pending: 0, processing: 0, readyToFinalize: true })).toBe('finalize');
  });
  it('finishes a completed import (its statistics, its change list, its matching) until nothing is left, waiting while another driver holds the last step of a phase, then stops', () => {
    expect(nextMove({ ...base, status: 'completed', finishing: true })).toBe('wait');
    expect(nextMove({ ...base, status: 'completed', finishing: true, didWork: true })).toBe('again');
    expect(nextMove({ ...base, status: 'completed', finishing: false, didWork: true })).toBe('stop');
  });
  it('stops when only failed batches are left, or the job is paused or over', () => {
    expect(nextMove({ ...base, pending: 0, processing: 0 })).toBe('stop');
    expect(nextMove({ ...base, pending: 4, blocked: 4, processing: 0 })).toBe('stop');
    expect(nextMove({ ...base, pending: 4, blocked: 3, processing: 0 })).toBe('wait');
    for (const status of ['paused', 'completed', 'failed', 'cancelled', 'rolled_back'] as const) {
      expect(nextMove({ ...base, status, didWork: true })).toBe('stop');
    }
  });
});

describe('backoffMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 100, 500))).toEqual([100, 200, 400, 500]);
    expect(backoffMs(40)).toBe(15_000);
  });
});
