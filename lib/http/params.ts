import { z } from 'zod';
import { ImportFailure } from '../errors';
import { refuseNul } from './nul';
import { JSON_BODY_LIMIT } from './route';

/** The body as text, refused past `limit` bytes whatever its headers said; an absent body is empty. */
async function bodyText(request: Request, limit: number): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ImportFailure('PAYLOAD_TOO_LARGE', `The request body is more than the ${limit} bytes allowed here.`, { maxBytes: limit });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Plain decimal digits only: `0x1`, `1e2`, ` 1` or `01` name nothing. */
const ID = /^[1-9]\d{0,9}$/;
const INDEX = /^(0|[1-9]\d{0,8})$/;

/** A path segment shown in a message: control characters escaped, at most 40 characters. */
const shown = (raw: string) => JSON.stringify(raw.slice(0, 40));

/** A path segment as a positive id, or a VALIDATION error. */
export function parseId(raw: string, what: string): number {
  if (!ID.test(raw) || Number(raw) > 2_147_483_647) throw new ImportFailure('VALIDATION', `${shown(raw)} is not an ${what} id.`);
  return Number(raw);
}

/** A path segment as a part number (0, 1, 2, …), or a VALIDATION error. */
export function parseIndex(raw: string): number {
  if (!INDEX.test(raw)) throw new ImportFailure('VALIDATION', `${shown(raw)} is not a part number.`);
  return Number(raw);
}

/** The `[id]` segment as the id of an import or an upload, or a VALIDATION error. */
async function idFrom(params: Promise<{ id: string }>, what: 'import' | 'upload' | 'API key'): Promise<number> {
  return parseId((await params).id, what);
}

export const jobIdFrom = (params: Promise<{ id: string }>) => idFrom(params, 'import');
export const uploadIdFrom = (params: Promise<{ id: string }>) => idFrom(params, 'upload');
export const keyIdFrom = (params: Promise<{ id: string }>) => idFrom(params, 'API key');

/** A JSON body (or none) parsed with a schema; an unreadable body is a VALIDATION error. `limit`: the route's own, when larger. */
export async function jsonBody<T extends z.ZodTypeAny>(request: Request, schema: T, limit = JSON_BODY_LIMIT): Promise<z.infer<T>> {
  // The JSON routes' limit, applied here too while reading a body sent without its length.
  const text = await bodyText(request, limit);
  let value: unknown = {};
  if (text.trim()) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ImportFailure('VALIDATION', 'The request body is not valid JSON.');
    }
  }
  refuseNul(value, 'the request body');
  return schema.parse(value);
}
