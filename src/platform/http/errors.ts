import { AppError, FieldsError, ServiceUnavailableError } from '../../shared/errors.js';
import { isDatabaseUnavailable } from '../db/unavailable.js';

/** What may be shown for an error; anything else stays in the log. */
export interface PublicError {
  readonly statusCode: number;
  readonly code: string;
  readonly title: string;
  readonly message: string;
  readonly headers: Readonly<Record<string, string>>;
  /** For refused input: each field (a name, or a JSON pointer into the body) and what is wrong with it. */
  readonly fields?: readonly { readonly field: string; readonly message: string }[];
}

/** Messages for the errors Fastify and its plugins raise on bad requests. */
const FRAMEWORK_MESSAGES = new Map<string, string>([
  ['FST_CSRF_MISSING_SECRET', 'This form has expired or your browser did not send its session cookie. Reload the page and try again.'],
  ['FST_CSRF_INVALID_TOKEN', 'This form could not be verified (its security token is missing, expired or does not match your session). Reload the page and try again.'],
  ['FST_ERR_CTP_BODY_TOO_LARGE', 'The request is too large.'],
  ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 'This kind of content is not accepted here.'],
  ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'The request body does not match its declared length.'],
  ['FST_ERR_CTP_EMPTY_JSON_BODY', 'The request body is empty.'],
  ['FST_ERR_CTP_INVALID_JSON_BODY', 'The request body is not valid JSON.'],
  ['FST_ERR_BAD_URL', 'The address is malformed.'],
  ['FST_ERR_ASYNC_CONSTRAINT', 'The request could not be routed.'],
]);

const TITLES = new Map<number, string>([
  [400, 'Request not accepted'],
  [401, 'Sign-in required'],
  [403, 'Request refused'],
  [404, 'Not Found'],
  [405, 'Method not allowed'],
  [408, 'Request timed out'],
  [409, 'Conflict'],
  [413, 'Request too large'],
  [415, 'Unsupported content type'],
  [422, 'Request not processable'],
  [429, 'Too many requests'],
  [503, 'Service unavailable'],
]);

const title = (statusCode: number) => TITLES.get(statusCode) ?? (statusCode >= 500 ? 'Something went wrong' : 'Request not accepted');

/** Retry-After for a database that is down or slow: long enough to recover, short enough to matter. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

interface ValidationIssue {
  readonly message?: string;
  readonly instancePath?: string;
}

/** "/amount_cents" → "amount_cents"; the query or params part is named by Fastify's validationContext. */
function fieldsOf(issues: readonly ValidationIssue[], context: unknown): { field: string; message: string }[] {
  const where = typeof context === 'string' && context !== 'body' ? `${context}.` : '';
  return issues.map((issue) => ({ field: `${where}${(issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')}`.replace(/\.$/, ''), message: issue.message ?? 'is not valid' }));
}

/** The failing route's own schema messages, one per field. */
function validationMessage(issues: readonly ValidationIssue[]): string {
  const messages = [...new Set(issues.map((issue) => issue.message).filter((message): message is string => Boolean(message)))];
  return messages.length > 0 ? messages.join(' ') : 'The request is incomplete or malformed.';
}

/** What the scope an error happened in tells its message. */
export interface ScopeContext {
  /** The content type this scope parses, named in a 415's message. */
  readonly accepts?: string;
}

/**
 * Maps any error to what may be shown. An AppError and the framework's known
 * 4xx explain themselves; a database that is down or slow becomes 503 with
 * Retry-After; anything else is a 500 whose details stay in the log.
 */
export function toPublicError(thrown: unknown, scope: ScopeContext = {}): PublicError {
  const error = isDatabaseUnavailable(thrown) ? new ServiceUnavailableError(DATABASE_RETRY_AFTER_SECONDS, { cause: thrown }) : thrown;
  if (error instanceof AppError) {
    const fields = error instanceof FieldsError ? Object.entries(error.fields).map(([field, message]) => ({ field, message })) : undefined;
    return { statusCode: error.statusCode, code: error.code, title: title(error.statusCode), message: error.message, headers: error.headers, ...(fields ? { fields } : {}) };
  }
  const { statusCode, code, validation, validationContext } = (error ?? {}) as { statusCode?: unknown; code?: unknown; validation?: unknown; validationContext?: unknown };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const errorCode = typeof code === 'string' ? code : 'BAD_REQUEST';
    const message = Array.isArray(validation)
      ? validationMessage(validation as ValidationIssue[])
      : errorCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' && scope.accepts
        ? `This request must be sent as ${scope.accepts}.`
        : (FRAMEWORK_MESSAGES.get(errorCode) ?? 'The request could not be handled.');
    const fields = Array.isArray(validation) ? fieldsOf(validation as ValidationIssue[], validationContext) : undefined;
    return { statusCode, code: errorCode, title: title(statusCode), message, headers: {}, ...(fields ? { fields } : {}) };
  }
  return {
    statusCode: 500,
    code: 'INTERNAL',
    title: title(500),
    message: 'Something went wrong on our side. Please try again in a moment.',
    headers: {},
  };
}
