import { z } from 'zod';
import { ImportFailure } from '../imports/errors';

const jobId = z.coerce.number().int().positive();

/** The `[id]` segment as a job id, or a VALIDATION error. */
export async function jobIdFrom(params: Promise<{ id: string }>): Promise<number> {
  const { id } = await params;
  const parsed = jobId.safeParse(id);
  if (!parsed.success) throw new ImportFailure('VALIDATION', `"${id}" is not an import id.`);
  return parsed.data;
}

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

const uploadId = z.coerce.number().int().positive();

/** The `[id]` segment of an upload route as an upload id, or a VALIDATION error. */
export async function uploadIdFrom(params: Promise<{ id: string }>): Promise<number> {
  const { id } = await params;
  const parsed = uploadId.safeParse(id);
  if (!parsed.success) throw new ImportFailure('VALIDATION', `"${id}" is not an upload id.`);
  return parsed.data;
}
