import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../shared/errors.js';

/** The API's idempotency headers: the client's key, and the mark on a replayed answer. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAY_HEADER = 'idempotent-replayed';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

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

/** The request's Idempotency-Key, checked (a 400 says what a key must be); undefined when it has none. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers[IDEMPOTENCY_HEADER];
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header.join(',') : header;
  if (!KEY_PATTERN.test(key)) throw new AppError(400, 'INVALID_IDEMPOTENCY_KEY', 'The Idempotency-Key header must be 1 to 255 visible ASCII characters (a UUID is a good choice).');
  return key;
}

/** Marks an answer that replays a stored one, so the client can tell. */
export function markReplayed(reply: FastifyReply, replayed: boolean): void {
  if (replayed) void reply.header(REPLAY_HEADER, 'true');
}
