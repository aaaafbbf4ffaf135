import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';

/**
 * What a staff form page shows when its input is refused: the page again,
 * with the problems listed at the top and beside their fields, instead of a
 * bare error page. The rules stay in the route's zod schema and in the
 * services; this only carries their messages back to the form.
 */

/** One thing wrong with a form: the field's name (absent for the form as a whole) and what to do about it. */
export interface FormProblem {
  readonly field?: string;
  readonly message: string;
}

/** The route schema's complaints about one part of the request, one per field (the first); undefined for any other error. */
export function schemaProblems(error: unknown, part: 'body' | 'querystring'): FormProblem[] | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { validation, validationContext } = error as { validation?: unknown; validationContext?: unknown };
  if (validationContext !== part || !Array.isArray(validation) || validation.length === 0) return undefined;
  const problems: FormProblem[] = [];
  const seen = new Set<string>();
  for (const issue of validation as readonly { instancePath?: unknown; message?: unknown }[]) {
    const field = typeof issue.instancePath === 'string' ? issue.instancePath.split('/')[1] : undefined;
    const message = typeof issue.message === 'string' && issue.message !== '' ? issue.message : 'This is not valid.';
    const key = field || `form:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(field ? { field, message } : { message });
  }
  return problems;
}

/** A service's refusal the page shows, with its status and the field it concerns. */
export interface ServiceProblem extends FormProblem {
  readonly status: number;
}

/**
 * The refusal an AppError carries, when its code is one the page knows
 * (`fieldOf` maps each code to a field name, or null for the whole form);
 * undefined for anything else, which the caller rethrows to the scope.
 */
export function serviceProblem(error: unknown, fieldOf: Readonly<Record<string, string | null>>): ServiceProblem | undefined {
  if (!(error instanceof AppError) || !Object.hasOwn(fieldOf, error.code)) return undefined;
  const field = fieldOf[error.code];
  return { status: error.statusCode, message: error.message, ...(field ? { field } : {}) };
}

/**
 * A text value from a body or query string that may have failed its schema
 * (so anything can be there): the string, trimmed to `max` characters, or ''.
 */
export function typedText(source: unknown, name: string, max = 100): string {
  if (typeof source !== 'object' || source === null) return '';
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/**
 * A route's errorHandler: when `part` fails the route's schema, `show` renders
 * the page again with the problems (and sets a 4xx). Any other error, and a
 * caller who may not use the route, go on to the scope's error handler.
 */
export function showAgainWhenInvalid(
  part: 'body' | 'querystring',
  show: (request: FastifyRequest, reply: FastifyReply, problems: readonly FormProblem[]) => Promise<unknown>,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const problems = schemaProblems(error, part);
    const access = request.routeOptions.config.access;
    // The scope authorizes before validation; this holds even if that order changes.
    const viewer = reply.staffShell?.viewer(request, reply);
    const allowed = access !== undefined && viewer != null && viewer.may(access);
    if (!problems || !allowed) throw error;
    // An error while showing the page goes on to the scope's handler (Fastify's next error handler).
    show(request, reply, problems).catch((failure: unknown) => reply.send(failure));
  };
}
