import type { ColumnSpec } from '../../kbo/spec';
import type { RowError } from './rows';

/**
 * The one-current-row rule of the tables that hold one row per key (enterprises,
 * establishments, branches): the two ways a file can break it, as rejected rows.
 */

/** `REPEATED_KEY`: the file lists a key again with other values; its first row is kept. */
export function repeatedKey(file: string, key: ColumnSpec, value: string, line: number): RowError {
  return {
    file,
    line,
    column: key.header,
    value,
    code: 'REPEATED_KEY',
    message: `${file} line ${line}: ${key.header} ${value} is already listed earlier in this file with other values, and the register holds one row per ${key.header}; the first row is kept and this one is rejected.`,
  };
}

/**
 * `KEY_CURRENT`: an UPDATE inserts a key that is current in the register, with other values,
 * and its delete file does not end it (a modification lists the key in both).
 */
export function currentKey(file: string, key: ColumnSpec, value: string, line: number, deleteFile: string): RowError {
  return {
    file,
    line,
    column: key.header,
    value,
    code: 'KEY_CURRENT',
    message: `${file} line ${line}: ${key.header} ${value} is already current in the register with other values, and ${deleteFile} does not end it, so it would be current twice; the row is rejected. Is this update meant for the register as it stands (its previous extract)?`,
  };
}
