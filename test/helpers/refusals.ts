/** Helpers of the refusal tests: the register's current rows to compare around a refusal, and extracts edited into bad ones. */
import { expect } from 'vitest';
import { zipExtract, type GeneratedExtract } from '../../lib/generator/generator';
import type { Sql } from '../../lib/db/client';
import { DATA_TABLES } from '../../lib/kbo/spec';
import { currentRows } from './import';

/** The current rows of every data table and of the codes: a refusal must leave them as they were. */
export async function registerSnapshot(db: Sql) {
  return Promise.all([...DATA_TABLES, 'codes' as const].map((table) => currentRows(db, table)));
}

/** The zip with one entry's method or encryption flag changed in its local and central headers. */
export function withEntryHeaders(zip: Uint8Array, name: string, change: { method?: number; encrypted?: boolean }): Buffer {
  const bytes = Buffer.from(zip);
  const n = Buffer.from(name);
  const local = bytes.indexOf(n) - 30;
  const central = bytes.indexOf(n, bytes.indexOf(n) + 1) - 46;
  expect(bytes.readUInt32LE(local)).toBe(0x04034b50);
  expect(bytes.readUInt32LE(central)).toBe(0x02014b50);
  for (const [flags, method] of [[local + 6, local + 8], [central + 8, central + 10]] as const) {
    if (change.method !== undefined) bytes.writeUInt16LE(change.method, method);
    if (change.encrypted) bytes.writeUInt16LE(bytes.readUInt16LE(flags) | 0x1, flags);
  }
  return bytes;
}

/** The extract zipped with file `name` holding `text` instead, or left out when `text` is null. */
export async function withFile(extract: GeneratedExtract, name: string, text: string | null): Promise<Buffer> {
  const files = { ...extract.files };
  if (text === null) delete files[name];
  else files[name] = text;
  return zipExtract({ ...extract, files });
}
