import { describe, expect, it } from 'vitest';
import { withMod97 } from '../../kbo/values';
import { asOfParam, parseRegisterNumber } from './number';

describe('parseRegisterNumber', () => {
  it('reads an enterprise number in every common form', () => {
    for (const typed of ['0200.065.765', '0200065765', 'BE0200065765', 'BE 0200.065.765', 'be0200.065.765', ' 200.065.765 ', '0200 065 765', '0200-065-765']) {
      expect(parseRegisterNumber(typed), typed).toEqual({ ok: true, kind: 'enterprise', number: '0200.065.765' });
    }
  });
  it('reads an establishment number', () => {
    const digits = withMod97(20_000_001);
    const dotted = `${digits[0]}.${digits.slice(1, 4)}.${digits.slice(4, 7)}.${digits.slice(7)}`;
    expect(parseRegisterNumber(digits)).toEqual({ ok: true, kind: 'establishment', number: dotted });
    expect(parseRegisterNumber(dotted)).toEqual({ ok: true, kind: 'establishment', number: dotted });
  });
  it('says why anything else is not a number', () => {
    expect(parseRegisterNumber('0200.065.766')).toMatchObject({ ok: false, message: expect.stringMatching(/fails the mod-97 check/) });
    expect(parseRegisterNumber('Bistro De Kroon')).toMatchObject({ ok: false, message: expect.stringMatching(/is not an enterprise or establishment number/) });
    expect(parseRegisterNumber('02000657')).toMatchObject({ ok: false });
    expect(parseRegisterNumber(withMod97(90_000_001))).toMatchObject({ ok: false, message: expect.stringMatching(/branch id/) });
  });
});

describe('asOf', () => {
  it('is an extract number or absent', () => {
    expect(asOfParam(null)).toBeUndefined();
    expect(asOfParam('')).toBeUndefined();
    expect(asOfParam('147')).toBe(147);
    for (const bad of ['-1', '14.7', '1e3', 'abc', '1234567890']) expect(() => asOfParam(bad), bad).toThrow(/asOf must be an extract number/);
  });
});
