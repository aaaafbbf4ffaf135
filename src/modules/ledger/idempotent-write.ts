import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { retryOnDeadlock } from '../../platform/db/deadlock.js';
import type { Database } from '../../schema.js';
import { principalOf } from '../staff/principal.js';
import { fingerprintOf, IDEMPOTENCY_HEADER, idempotencyKeyOf, REPLAY_HEADER, runIdempotently, type StoredAnswer } from './idempotency.js';

/**
 * The header as a route's schema declares it, for the API document; every
 * other header passes untouched. Its rules are idempotencyKeyOf's, whose 400
 * says what a key must be.
 */
export const idempotencyHeaders = z.looseObject({
  [IDEMPOTENCY_HEADER]: z
    .string()
    .optional()
    .describe('1–255 visible ASCII characters, e.g. a UUID. A retry with the same key and request gets the first answer again (Idempotent-Replayed: true); the same key with another request is a 422. Per user, kept 24 hours.'),
});

/**
 * An API write in one transaction, honouring `Idempotency-Key`:
 * - without the header the write simply happens;
 * - with it, the write and its stored answer commit together (runIdempotently),
 *   keyed per user; a retry gets the stored answer again with
 *   `Idempotent-Replayed: true`; the same key with another request is a 422;
 *   a malformed key is a 400, before anything is written.
 * A transaction the database rolls back as a deadlock victim runs again (on
 * MySQL/MariaDB, concurrent requests of one user can deadlock on the key
 * table's gap locks); it left nothing behind, so this cannot write twice.
 * `path` is the request's normalised path (e.g. the upper-cased account ID),
 * so "the same request" does not depend on how the client spelled it; the
 * fingerprint uses the validated body, for the same reason.
 */
export async function idempotentWrite<Body>(
  db: Kysely<Database>,
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  write: (trx: Transaction<Database>) => Promise<StoredAnswer & { readonly body: Body }>,
): Promise<StoredAnswer & { readonly body: Body }> {
  const key = idempotencyKeyOf(request.headers[IDEMPOTENCY_HEADER]);
  if (key === undefined) return retryOnDeadlock(() => db.transaction().execute(write));
  const keyed = { userId: principalOf(request).userId, key, fingerprint: fingerprintOf(request.method, path, request.body) };
  const answer = await retryOnDeadlock(() => runIdempotently(db, keyed, write));
  if (answer.replayed) void reply.header(REPLAY_HEADER, 'true');
  // A stored answer is one this route's write returned (failed writes are not stored): the same shape.
  return { statusCode: answer.statusCode, body: answer.body as Body };
}
