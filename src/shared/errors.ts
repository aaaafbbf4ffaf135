/** An error a person can act on: its message is shown to them as is. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Messages for the errors Fastify and its plugins raise on bad requests. */
const FRIENDLY: ReadonlyMap<string, string> = new Map(Object.entries({
  FST_CSRF_MISSING_SECRET:
    'This form has expired or your browser did not send its session cookie. Reload the page and try again.',
  FST_CSRF_INVALID_TOKEN:
    'This form could not be verified (its security token is missing or does not match your session). Reload the page and try again.',
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request is too large.',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'This form must be sent as application/x-www-form-urlencoded.',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'The request body is empty.',
  FST_ERR_CTP_INVALID_JSON_BODY: 'The request body is not valid JSON.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The request body does not match its declared length.',
  FST_ERR_VALIDATION: 'The form is incomplete or malformed: please enter one account ID.',
}));

export interface PublicError {
  readonly statusCode: number;
  readonly code: string;
  readonly message: string;
}

/**
 * What may be shown for an error. 4xx come with a message a person
 * understands; anything else is a 500 whose details stay in the log.
 */
export function toPublicError(error: unknown): PublicError {
  const { statusCode, code, message } = (error ?? {}) as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const errorCode = typeof code === 'string' ? code : 'BAD_REQUEST';
    const friendly = error instanceof HttpError ? error.message : FRIENDLY.get(errorCode);
    return {
      statusCode,
      code: errorCode,
      message: friendly ?? (typeof message === 'string' && message ? message : 'The request could not be handled.'),
    };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'Something went wrong on our side. Please try again in a moment.' };
}
