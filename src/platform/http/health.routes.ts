import type { FastifyInstance } from 'fastify';
import type { ReplicaState } from '../db/replicas.js';
import { describeError } from '../db/wait-for-database.js';
import { PUBLIC } from './scopes.js';

const READY_TIMEOUT_MS = 2000;

export interface HealthOptions {
  /** Resolves when the app can serve (database answers, schema current); rejects with the reason. */
  readonly ready: () => Promise<void>;
  /** The read replicas' states, reported in /readyz's body; readiness does not depend on them. Absent: no replicas. */
  readonly replicas?: () => ReplicaState[];
}

/** For probes: /healthz says the process answers, /readyz that it can serve. */
/**
 * Answered while the process is still starting (startup-gate.ts), with the reason it is not ready. /healthz is not:
 * until start-up has finished it is a 503 like every other path, so whatever waits for it to say 200 (the image's
 * HEALTHCHECK, compose, a startup probe, wait_for_https.sh) still waits for a process that can serve.
 */
export const STARTING_PROBE_PATHS = ['/readyz'] as const;

export async function healthRoutes(app: FastifyInstance, { ready, replicas }: HealthOptions): Promise<void> {
  // Probes come every few seconds; only failures are worth a log line.
  app.get('/healthz', { logLevel: 'warn', config: { access: PUBLIC } }, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'warn', config: { access: PUBLIC } }, async (request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    reply.header('cache-control', 'no-store');
    // Each replica as the last heartbeat check saw it (the check runs every second; nothing is queried here).
    const replicaStates = replicas ? { replicas: replicas() } : {};
    try {
      await Promise.race([ready(), timeout]);
      return { status: 'ready', ...replicaStates };
    } catch (error) {
      const reason = describeError(error);
      request.log.warn({ reason }, 'not ready');
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', reason: /^(schema|starting)/.test(reason) ? reason : 'database not reachable', ...replicaStates });
    } finally {
      clearTimeout(timer);
    }
  });
}
