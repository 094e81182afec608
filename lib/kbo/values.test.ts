import { describe, expect, it } from 'vitest';
import { checkDate, checkNumber, passesMod97, withMod97 } from './values';

describe('checkDate', () => {
  it('turns dd-mm-yyyy into ISO and empty into NULL', () => {
    expect(checkDate('15-09-2025')).toEqual({ ok: true, value: '2025-09-15' });
    expect(checkDate('29-02-2024')).toEqual({ ok: true, value: '2024-02-29' });
    expect(checkDate('')).toEqual({ ok: true, value: null });
  });
  it('rejects impossible days and other shapes', () => {
    expect(checkDate('31-02-2025')).toMatchObject({ ok: false, message: expect.stringMatching(/not a calendar date/) });
    expect(checkDate('29-02-2025').ok).toBe(false);
    expect(checkDate('2025-09-15')).toMatchObject({ ok: false, message: expect.stringMatching(/dd-mm-yyyy/) });
    expect(checkDate('1-1-2020').ok).toBe(false);
  });
});

describe('mod-97 register numbers', () => {
  it('accepts real numbers from extract 147', () => {
    for (const n of ['0552.627.113', '0660.962.750', '1012.706.130', '0761.879.075']) expect(checkNumber(n, 'enterprise')).toEqual({ ok: true, value: n });
    expect(checkNumber('2.190.171.611', 'establishment').ok).toBe(true);
    expect(checkNumber('2.190.171.611', 'entity').ok).toBe(true);
  });
  it('rejects a wrong check digit and a wrong shape, saying which', () => {
    expect(checkNumber('0552.627.114', 'enterprise')).toMatchObject({ ok: false, message: expect.stringMatching(/mod-97/) });
    expect(checkNumber('0552627113', 'enterprise')).toMatchObject({ ok: false, message: expect.stringMatching(/dddd\.ddd\.ddd/) });
    expect(checkNumber('2.190.171.611', 'branch')).toMatchObject({ ok: false, message: expect.stringMatching(/9\.ddd/) });
  });
  it('withMod97 produces numbers that pass', () => {
    for (const body of [0, 1, 2_000_000, 20_000_000, 90_000_000, 99_999_999]) expect(passesMod97(withMod97(body))).toBe(true);
  });
});
