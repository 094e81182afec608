import { formatEnterprise, formatEstablishment, passesMod97 } from '../../kbo/values';
import { ImportFailure } from '../../errors';

/** A register number as a person may type it, read into the register's own spelling. */
export type ParsedNumber =
  | { ok: true; kind: 'enterprise' | 'establishment'; number: string }
  | { ok: false; message: string };

/**
 * Reads an enterprise or establishment number in any common form: `0200.065.765`,
 * `0200065765`, `BE0200065765`, `BE 0200.065.765`, `200.065.765` (the leading 0 dropped), with
 * dots, spaces, dashes or slashes between the digits. An enterprise number starts with 0 or 1,
 * an establishment number with 2 to 8. Pure; the check digits are verified.
 */
export function parseRegisterNumber(raw: string): ParsedNumber {
  const compact = raw.trim().replace(/^BE\s*/i, '').replace(/[\s./-]/g, '');
  if (!/^\d{9,10}$/.test(compact)) return { ok: false, message: `"${raw.trim()}" is not an enterprise or establishment number (10 digits, such as 0200.065.765).` };
  const digits = compact.length === 9 ? `0${compact}` : compact;
  if (!passesMod97(digits)) return { ok: false, message: `${digits} fails the mod-97 check: its last two digits do not match the first eight. Is a digit mistyped?` };
  const first = Number(digits[0]);
  if (first <= 1) return { ok: true, kind: 'enterprise', number: formatEnterprise(digits) };
  if (first <= 8) return { ok: true, kind: 'establishment', number: formatEstablishment(digits) };
  return { ok: false, message: `${formatEstablishment(digits)} is a branch id, not an enterprise or establishment number.` };
}

/** `?asOf=`: an extract number, or undefined (now) when absent. */
export function asOfParam(raw: string | null | undefined): number | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new ImportFailure('VALIDATION', `asOf must be an extract number, not ${JSON.stringify(raw.slice(0, 20))}.`);
  return Number(raw);
}
