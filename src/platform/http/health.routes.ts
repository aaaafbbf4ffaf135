import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { describeError, pingDatabase } from '../db/wait-for-database.js';
import type { Database } from '../../schema.js';

const READY_TIMEOUT_MS = 2000;

/** For probes: /healthz says the process answers, /readyz that the database does too. */
export async function healthRoutes(app: FastifyInstance, { db }: { db: Kysely<Database> }): Promise<void> {
  // Probes come every few seconds; only failures are worth a log line.
  app.get('/healthz', { logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn' }, async (request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([pingDatabase(db), timeout]);
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ reason: describeError(error) }, 'database not ready');
      return reply.code(503).send({ status: 'unavailable', reason: 'database not reachable' });
    } finally {
      clearTimeout(timer);
    }
  });
}
