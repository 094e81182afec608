/**
 * Pure value checks for the KBO dialect. Each returns the normalised value, or an error
 * message that says what was expected (the caller adds file, line and column).
 */
export type Checked = { ok: true; value: string | null } | { ok: false; message: string };

const DATE = /^(\d{2})-(\d{2})-(\d{4})$/;

/** `dd-mm-yyyy` (a real calendar day) to ISO `yyyy-mm-dd`; empty means NULL. */
export function checkDate(raw: string): Checked {
  if (raw === '') return { ok: true, value: null };
  const m = DATE.exec(raw);
  if (m) {
    const [, dd, mm, yyyy] = m as unknown as [string, string, string, string];
    const day = Number(dd);
    const month = Number(mm);
    const year = Number(yyyy);
    const probe = new Date(Date.UTC(year, month - 1, day));
    if (
      year >= 1000 &&
      probe.getUTCFullYear() === year &&
      probe.getUTCMonth() === month - 1 &&
      probe.getUTCDate() === day
    ) {
      return { ok: true, value: `${yyyy}-${mm}-${dd}` };
    }
    return { ok: false, message: 'is not a calendar date (expected dd-mm-yyyy)' };
  }
  return { ok: false, message: 'is not a date in the form dd-mm-yyyy' };
}

/** True when the 10 digits pass the mod-97 check: 97 - (first 8 digits mod 97) = last 2. */
export function passesMod97(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false;
  const body = Number(digits.slice(0, 8));
  const check = Number(digits.slice(8));
  return 97 - (body % 97) === check;
}

/** Appends the mod-97 check digits to an 8-digit body (used by the generator and tests). */
export function withMod97(body: number): string {
  const head = String(body).padStart(8, '0');
  return head + String(97 - (body % 97)).padStart(2, '0');
}

export const ENTERPRISE_NUMBER = /^\d{4}\.\d{3}\.\d{3}$/;
export const ESTABLISHMENT_NUMBER = /^\d\.\d{3}\.\d{3}\.\d{3}$/;
export const BRANCH_ID = /^9\.\d{3}\.\d{3}\.\d{3}$/;

export type NumberKind = 'enterprise' | 'establishment' | 'branch' | 'entity';

const SHAPES: Record<NumberKind, { patterns: RegExp[]; expected: string }> = {
  enterprise: { patterns: [ENTERPRISE_NUMBER], expected: 'an enterprise number dddd.ddd.ddd' },
  establishment: { patterns: [ESTABLISHMENT_NUMBER], expected: 'an establishment number d.ddd.ddd.ddd' },
  branch: { patterns: [BRANCH_ID], expected: 'a branch id 9.ddd.ddd.ddd' },
  entity: {
    patterns: [ENTERPRISE_NUMBER, ESTABLISHMENT_NUMBER],
    expected: 'an enterprise number dddd.ddd.ddd or an establishment/branch number d.ddd.ddd.ddd',
  },
};

/** A register number, kept exactly as written; shape and mod-97 check digits verified. */
export function checkNumber(raw: string, kind: NumberKind): Checked {
  if (raw === '') return { ok: true, value: null };
  const shape = SHAPES[kind];
  if (!shape.patterns.some((p) => p.test(raw))) {
    return { ok: false, message: `is not ${shape.expected}` };
  }
  if (!passesMod97(raw.replaceAll('.', ''))) {
    return { ok: false, message: 'fails the mod-97 check (its last two digits do not match the first eight)' };
  }
  return { ok: true, value: raw };
}

/** Formats 10 digits as an enterprise number (dddd.ddd.ddd). */
export function formatEnterprise(digits: string): string {
  return `${digits.slice(0, 4)}.${digits.slice(4, 7)}.${digits.slice(7)}`;
}

/** Formats 10 digits as an establishment or branch number (d.ddd.ddd.ddd). */
export function formatEstablishment(digits: string): string {
  return `${digits.slice(0, 1)}.${digits.slice(1, 4)}.${digits.slice(4, 7)}.${digits.slice(7)}`;
}
