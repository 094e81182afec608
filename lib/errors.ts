/** The closed set of error codes; lib/http/respond.ts maps them to HTTP statuses. */
export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'PRECONDITION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'DATABASE_UNAVAILABLE',
  /** The KBO portal could not be reached, refused the credentials, or answered oddly. */
  'PORTAL_UNAVAILABLE',
  'PORTAL_LOGIN_REFUSED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A domain error whose message is safe to show a user: it says what was wrong and what to do. */
export class ImportFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ImportFailure';
  }

  toJSON() {
    return { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) };
  }
}

export function isImportFailure(err: unknown): err is ImportFailure {
  return err instanceof ImportFailure;
}
