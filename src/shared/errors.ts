/**
 * The one base for errors the application raises on purpose: a status, a
 * stable code for logs and API clients, and a message a person can act on,
 * shown as is. Anything that is not an AppError (or a known framework 4xx)
 * is treated as a bug: logged in full, shown as a generic 500.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options: { readonly cause?: unknown; readonly headers?: Readonly<Record<string, string>> } = {},
  ) {
    super(message, { cause: options.cause });
    this.headers = options.headers ?? {};
  }

  /** Response headers that belong to this error, such as Retry-After. */
  readonly headers: Readonly<Record<string, string>>;
}

/** The request cannot be served right now (database down or slow); the client may retry. */
export class ServiceUnavailableError extends AppError {
  override name = 'ServiceUnavailableError';
  constructor(retryAfterSeconds: number, options: { readonly cause?: unknown } = {}) {
    super(503, 'SERVICE_UNAVAILABLE', `The service is busy or briefly unavailable. Please try again in ${retryAfterSeconds} seconds.`, {
      cause: options.cause,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

/** Input refused field by field: each field's name and what is wrong with it, for a form or a problem document. */
export class FieldsError extends AppError {
  override name = 'FieldsError';
  constructor(
    statusCode: number,
    code: string,
    readonly fields: Readonly<Record<string, string>>,
  ) {
    super(statusCode, code, Object.values(fields).join(' ') || 'The request is incomplete or malformed.');
  }
}
