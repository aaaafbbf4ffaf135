import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { shownPath } from './error-rendering.js';

/**
 * One JSON line per request instead of Fastify's two: id, method, path,
 * status, duration. The query string, headers and body are left out, so no
 * token or cookie reaches the log.
 */
export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'reqId' });
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      // Bounded: a 16 KB path must not become a 16 KB log line.
      path: shownPath(request.url),
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request failed while responding');
    else reply.log.info(line, 'request completed');
  }
}
