import { describe, expect, it } from 'vitest';
import { readMembers } from './members';

describe('readMembers', () => {
  it('reads numbers in every common form, once each, and reports the wrong ones with why', () => {
    const m = readMembers({ numbers: ['0200.065.765', 'BE0200065765', ' 200065765 ', '2.000.000.339', '0200.065.766', 'hello', ''] });
    expect(m.numbers).toEqual(['0200.065.765', '2.000.000.339']);
    expect(m.invalidCount).toBe(2);
    expect(m.invalid.map((i) => i.value)).toEqual(['0200.065.766', 'hello']);
    expect(m.invalid[0]?.message).toMatch(/fails the mod-97 check/);
  });

  it('reads a CSV: a header skipped, commas, semicolons, tabs, quotes, a BOM and CRLF', () => {
    const csv = '\uFEFFEnterpriseNumber;Name\r\n"0200.065.765";Acme\r\n0200.068.636,x\tBE 0201.400.308\r\n';
    const m = readMembers({ csv });
    expect(m.numbers).toEqual(['0200.065.765', '0200.068.636', '0201.400.308']);
    expect(m.invalid.map((i) => i.value)).toEqual(['Acme', 'x']);
  });
});
