import { parseRegisterNumber } from '../register/query/number';

/** The most numbers one watchlist follows. */
export const MAX_MEMBERS = 100_000;

export interface Members {
  /** In the register's own spelling (`0200.065.765`), each once, in the order first given. */
  numbers: string[];
  /** What could not be read, with why (the first 1,000). */
  invalid: { value: string; message: string }[];
  /** How many were refused in all. */
  invalidCount: number;
}

/**
 * Entity numbers as people send them: a list, or a CSV (one or more per line, separated by
 * commas, semicolons, tabs or new lines; quotes aside), each in any common form (`0200065765`,
 * `BE 0200.065.765`…). A first line that holds no digit is a header and is skipped. Numbers
 * given twice count once; wrong ones are reported, never guessed. Pure.
 */
export function readMembers(input: { numbers?: string[]; csv?: string }): Members {
  const values: string[] = [...(input.numbers ?? [])];
  if (input.csv !== undefined) {
    const lines = input.csv.replace(/^\uFEFF/, '').split(/\r?\n/);
    if (lines.length > 0 && !/\d/.test(lines[0] ?? '')) lines.shift();
    for (const line of lines) for (const cell of line.split(/[,;\t]/)) values.push(cell.replace(/"/g, ''));
  }
  const seen = new Set<string>();
  const numbers: string[] = [];
  const invalid: Members['invalid'] = [];
  let invalidCount = 0;
  for (const value of values) {
    if (value.trim() === '') continue;
    const parsed = parseRegisterNumber(value);
    if (!parsed.ok) {
      invalidCount++;
      if (invalid.length < 1_000) invalid.push({ value: value.trim().slice(0, 40), message: parsed.message });
      continue;
    }
    if (seen.has(parsed.number)) continue;
    seen.add(parsed.number);
    numbers.push(parsed.number);
  }
  return { numbers, invalid, invalidCount };
}
