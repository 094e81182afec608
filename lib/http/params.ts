import { z } from 'zod';
import { ImportFailure } from '../imports/errors';

const id = z.coerce.number().int().positive();

/** The `[id]` segment as the id of an import or an upload, or a VALIDATION error. */
async function idFrom(params: Promise<{ id: string }>, what: 'import' | 'upload'): Promise<number> {
  const { id: raw } = await params;
  const parsed = id.safeParse(raw);
  if (!parsed.success) throw new ImportFailure('VALIDATION', `"${raw}" is not an ${what} id.`);
  return parsed.data;
}

export const jobIdFrom = (params: Promise<{ id: string }>) => idFrom(params, 'import');
export const uploadIdFrom = (params: Promise<{ id: string }>) => idFrom(params, 'upload');

/** A JSON body (or none) parsed with a schema; an unreadable body is a VALIDATION error. */
export async function jsonBody<T extends z.ZodTypeAny>(request: Request, schema: T): Promise<z.infer<T>> {
  const text = await request.text();
  let value: unknown = {};
  if (text.trim()) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new ImportFailure('VALIDATION', 'The request body is not valid JSON.');
    }
  }
  return schema.parse(value);
}
