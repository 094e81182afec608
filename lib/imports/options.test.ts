import { describe, expect, it } from 'vitest';
import { fileNameSchema } from './options';
import { inertCell } from './view/report';

describe('names and cells from uploads', () => {
  it('refuses a file name with control characters', () => {
    expect(fileNameSchema.safeParse('KboOpenData_0147_2025_10_12_Update.zip').success).toBe(true);
    for (const bad of ['a\u0000.zip', 'a\n.zip', '\u001b[31mred.zip', 'a\u007f.zip', '']) expect(fileNameSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it('a rejected value a spreadsheet would run as a formula is made inert', () => {
    for (const v of ['=HYPERLINK("http://evil.example","x")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) expect(inertCell(v)).toBe(`'${v}`);
    for (const v of ['0200.000.044', 'Café', '', "it's"]) expect(inertCell(v)).toBe(v);
  });
});
