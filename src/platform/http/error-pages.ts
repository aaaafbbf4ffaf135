import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toPublicError } from '../../shared/errors.js';
import { html, page } from '../views/html.js';

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

function send(request: FastifyRequest, reply: FastifyReply, statusCode: number, code: string, message: string, title: string) {
  if (wantsJson(request)) return reply.code(statusCode).send({ error: { code, message } });
  const body = html`<h1>${title}</h1>
<p class="problem">${message}</p>
<p><a href="/">Back to the account lookup</a></p>`;
  return reply.code(statusCode).type('text/html; charset=utf-8').send(page(title, body));
}

/** One error handler: 4xx explain themselves, 5xx are logged and kept vague. */
export function registerErrorPages(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const shown = toPublicError(error);
    if (shown.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: shown.code, statusCode: shown.statusCode }, 'request refused');
    const title = shown.statusCode >= 500 ? 'Something went wrong' : shown.statusCode === 403 ? 'Request refused' : 'Request not accepted';
    return send(request, reply, shown.statusCode, shown.code, shown.message, title);
  });

  app.setNotFoundHandler((request, reply) =>
    send(request, reply, 404, 'NOT_FOUND', `There is no page at ${request.url.split('?')[0] ?? '/'}.`, 'Not Found'),
  );
}
