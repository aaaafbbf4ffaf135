import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../views/html.js';
import { page } from '../views/layout.js';
import { HTML, shellPage, type StaffShell } from '../views/staff-page.js';
import { toPublicError, type PublicError, type ScopeContext } from './errors.js';

/** How a scope shows an error: an HTML page, or RFC 9457 problem+json. */
export type ErrorRenderer = (request: FastifyRequest, reply: FastifyReply, shown: PublicError) => FastifyReply;

/** An error page in `shell` (the staff layout, for a signed-in viewer), or with only the brand when null. */
export function renderHtmlErrorIn(shell: StaffShell | null): ErrorRenderer {
  return (request, reply, shown) => {
    const body = html`<h1>${shown.title}</h1>
<p class="problem" role="alert">${shown.message}</p>
<p><a href="/">Go to the start page</a></p>`;
    return reply
      .code(shown.statusCode)
      .headers(shown.headers)
      .header('cache-control', 'no-store')
      .type(HTML)
      .send(shell ? shellPage(shell, request, reply, { title: shown.title, body }) : page(shown.title, body));
  };
}

/** An error page in the layout of the scope the route lives in. */
export const renderHtmlError: ErrorRenderer = (request, reply, shown) => renderHtmlErrorIn(reply.staffShell ?? null)(request, reply, shown);

export const renderProblem: ErrorRenderer = (request, reply, shown) =>
  reply
    .code(shown.statusCode)
    .headers(shown.headers)
    .header('cache-control', 'no-store')
    .type('application/problem+json; charset=utf-8')
    .send(
      JSON.stringify({
        type: 'about:blank',
        title: shown.title,
        status: shown.statusCode,
        detail: shown.message,
        code: shown.code,
        instance: request.id,
        ...(shown.fields ? { errors: shown.fields } : {}),
      }),
    );

/** Logs by severity: 5xx in full (with the error), 4xx as one short line. */
export function logError(request: FastifyRequest, error: unknown, shown: PublicError): void {
  if (shown.statusCode >= 500) request.log.error({ err: error, statusCode: shown.statusCode }, 'request failed');
  else request.log.info({ code: shown.code, statusCode: shown.statusCode }, 'request refused');
}

/** An error handler for one scope. */
export function errorHandler(render: ErrorRenderer, scope: ScopeContext = {}) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const shown = toPublicError(error, scope);
    logError(request, error, shown);
    return render(request, reply, shown);
  };
}

/** Longest part of a path repeated in a 404 page or a log line. */
export const SHOWN_PATH_LIMIT = 200;

export function shownPath(url: string): string {
  const path = url.split('?')[0] ?? '/';
  return path.length > SHOWN_PATH_LIMIT ? `${path.slice(0, SHOWN_PATH_LIMIT)}…` : path;
}

export function notFoundHandler(render: ErrorRenderer) {
  return (request: FastifyRequest, reply: FastifyReply) =>
    render(request, reply, {
      statusCode: 404,
      code: 'NOT_FOUND',
      title: 'Not Found',
      message: `There is no page at ${shownPath(request.url)}.`,
      headers: {},
    });
}
