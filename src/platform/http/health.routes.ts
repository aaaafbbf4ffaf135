import type { FastifyInstance } from 'fastify';
import { describeError } from '../db/wait-for-database.js';
import { PUBLIC } from './scopes.js';

const READY_TIMEOUT_MS = 2000;

export interface HealthOptions {
  /** Resolves when the app can serve (database answers, schema current); rejects with the reason. */
  readonly ready: () => Promise<void>;
}

/** For probes: /healthz says the process answers, /readyz that it can serve. */
export async function healthRoutes(app: FastifyInstance, { ready }: HealthOptions): Promise<void> {
  // Probes come every few seconds; only failures are worth a log line.
  app.get('/healthz', { logLevel: 'warn', config: { access: PUBLIC } }, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn', config: { access: PUBLIC } }, async (request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    reply.header('cache-control', 'no-store');
    try {
      await Promise.race([ready(), timeout]);
      return { status: 'ready' };
    } catch (error) {
      const reason = describeError(error);
      request.log.warn({ reason }, 'not ready');
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', reason: reason.startsWith('schema') ? reason : 'database not reachable' });
    } finally {
      clearTimeout(timer);
    }
  });
}
