import { ZodError } from 'zod';
import { isDatabaseUnavailable, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE } from '../db/unavailable';
import { isImportFailure, type ErrorCode } from '../errors';

const STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  DATABASE_UNAVAILABLE: 503,
  PORTAL_UNAVAILABLE: 502,
  PORTAL_LOGIN_REFUSED: 502,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  INTERNAL: 500,
};

export function json(body: unknown, status = 200, headers: Record<string, string> | Headers = {}): Response {
  const all = new Headers(headers);
  all.set('cache-control', 'no-store');
  return Response.json(body, { status, headers: all });
}

export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

/** Domain error -> Response, in one place. Internal details go to the log only. */
export function respondError(err: unknown): Response {
  if (isImportFailure(err)) {
    const retry = (err.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    return json(errorBody(err.code, err.message, err.details), STATUS[err.code], retry ? { 'retry-after': String(retry) } : {});
  }
  if (err instanceof ZodError) {
    const details = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    return json(errorBody('VALIDATION', 'The request is not valid.', details), STATUS.VALIDATION);
  }
  if (isDatabaseUnavailable(err)) {
    console.warn('[kbo-import] database unavailable:', (err as Error).message);
    return json(errorBody('DATABASE_UNAVAILABLE', UNAVAILABLE_MESSAGE), STATUS.DATABASE_UNAVAILABLE, { 'retry-after': String(RETRY_AFTER_SECONDS) });
  }
  console.error('[kbo-import] internal error', err);
  return json(errorBody('INTERNAL', 'Something went wrong on the server; the details are in its log.'), STATUS.INTERNAL);
}

/** Runs a handler body and turns any error into the one error shape. */
export async function handle(fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    return respondError(err);
  }
}

/**
 * A download streamed from `chunks`. The first chunk is read before the response starts, so a
 * refusal (an unknown job, a bad filter) is still an error response with its status; an error
 * later in the stream can only cut it short, and is logged.
 */
export async function streamedDownload(chunks: AsyncGenerator<string>, contentType: string, fileName: string): Promise<Response> {
  const first = await chunks.next();
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(encoder.encode(first.value));
    },
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        console.error('[kbo-import] a download stopped part way', err);
        controller.error(err);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return new Response(body, {
    headers: { 'content-type': contentType, 'content-disposition': `attachment; filename="${fileName}"`, 'cache-control': 'no-store' },
  });
}
