import { ImportFailure } from '../errors';

/**
 * PostgreSQL's text holds no NUL character, so a string with one could reach no statement
 * intact: it is refused where it comes in, with its place named, instead of failing in SQL.
 */
export function refuseNul(value: unknown, where: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new ImportFailure('VALIDATION', `${where} contains a NUL character (\\0), which no field accepts.`);
  } else if (Array.isArray(value)) {
    for (const v of value) refuseNul(v, where);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      refuseNul(k, where);
      refuseNul(v, where);
    }
  }
}

/** Every query parameter and path segment of a request, free of NUL (an encoded `%00` anywhere). */
export function refuseNulInUrl(request: Request): void {
  const url = new URL(request.url);
  if (/%00/.test(url.pathname + url.search)) throw new ImportFailure('VALIDATION', 'The address contains a NUL character (%00), which no parameter accepts.');
}
