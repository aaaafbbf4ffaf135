import type { FastifyInstance } from 'fastify';
import { ServiceUnavailableError } from '../../shared/errors.js';

/** Seconds a client is asked to wait while the process is still starting. */
const STARTING_RETRY_AFTER_SECONDS = 5;

/**
 * Whether the process may serve yet. server.ts listens before its database
 * answers (so a probe hears "not ready" instead of a refused connection, and
 * a visitor a 503 instead of a timeout), and opens the gate once the database
 * is reached, migrated and seeded.
 */
export interface StartupGate {
  readonly isOpen: () => boolean;
}

export function startupGate(): StartupGate & { open(): void } {
  let open = false;
  return {
    isOpen: () => open,
    open() {
      open = true;
    },
  };
}

/**
 * Every request but those to `probePaths` (readiness, which says why) is a
 * 503 with Retry-After while the gate is shut; each scope's error handler
 * renders it (a page, or problem+json).
 */
export function holdRequestsUntilOpen(app: FastifyInstance, gate: StartupGate, probePaths: readonly string[]): void {
  const probes = new Set(probePaths);
  // A callback hook: it runs on every request for the process's life, and a promise each would be waste once open.
  app.addHook('onRequest', (request, _reply, done) => {
    if (gate.isOpen()) return done();
    const path = request.url.split('?', 1)[0] ?? '';
    done(probes.has(path) ? undefined : new ServiceUnavailableError(STARTING_RETRY_AFTER_SECONDS));
  });
}

/** Readiness that also waits for the gate: "starting" until start-up has finished. */
export function gatedReadiness(gate: StartupGate, ready: () => Promise<void>): () => Promise<void> {
  return async () => {
    if (!gate.isOpen()) throw new Error('starting: waiting for the database (reached, migrated, seeded)');
    await ready();
  };
}
