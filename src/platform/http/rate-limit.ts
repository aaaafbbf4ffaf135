import { createRequire } from 'node:module';
import rateLimit, { type FastifyRateLimitStoreCtor, type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.js';

type Counted = { current: number; ttl: number };
interface Store {
  incr(key: string, callback: (error: Error | null, result?: Counted) => void, timeWindow: number, max: number): void;
  child(routeOptions: unknown): Store;
}

// The plugin's own stores (CommonJS, untyped): reused rather than rewritten.
const load = createRequire(import.meta.url);
const LocalStore = load('@fastify/rate-limit/store/LocalStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean) => Store;
const RedisStore = load('@fastify/rate-limit/store/RedisStore.js') as new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis) => Store;

/**
 * Counts in Redis, shared by every replica; while Redis fails, counts in this
 * process's memory instead (limits then hold per replica), and says so once.
 */
class RedisWithMemoryFallback implements Store {
  constructor(
    private readonly shared: Store,
    private readonly local: Store,
    private readonly state: { degraded: boolean; logger: Logger },
  ) {}

  incr(key: string, callback: (error: Error | null, result?: Counted) => void, timeWindow: number, max: number): void {
    this.shared.incr(
      key,
      (error, result) => {
        if (!error) {
          this.state.degraded = false;
          return callback(null, result);
        }
        if (!this.state.degraded) this.state.logger.warn({ reason: error.message }, 'rate limit counters fall back to memory: Redis failed');
        this.state.degraded = true;
        this.local.incr(key, callback, timeWindow, max);
      },
      timeWindow,
      max,
    );
  }

  child(routeOptions: unknown): Store {
    return new RedisWithMemoryFallback(this.shared.child(routeOptions), this.local.child(routeOptions), this.state);
  }
}

function storeFor(redis: Redis, logger: Logger): FastifyRateLimitStoreCtor {
  const state = { degraded: false, logger };
  class Fallback extends RedisWithMemoryFallback {
    constructor() {
      super(new RedisStore(false, false, redis), new LocalStore(false, false), state);
    }
  }
  return Fallback as unknown as FastifyRateLimitStoreCtor;
}

/**
 * Rate limits as a platform feature: nothing is limited unless a route
 * declares `config: { rateLimit: perMinute(n) }`. A refusal is an AppError
 * (429 with Retry-After), so each scope renders it its own way.
 */
export async function registerRateLimits(app: FastifyInstance, { redis, logger }: { redis: Redis | null; logger: Logger }): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    ...(redis ? { store: storeFor(redis, logger) } : {}),
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) => tooManyRequests(context.ttl, 'from your address'),
  });
}

function tooManyRequests(ttlMs: number, whose: string): AppError {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return new AppError(429, 'RATE_LIMITED', `Too many requests ${whose}. Please wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`, {
    headers: { 'retry-after': String(seconds) },
  });
}

export interface KeyedLimit {
  /** Requests per minute per key; 0 means none. */
  readonly perMinute: number;
  /** What is counted: a user name, a token. Runs after the body is parsed and the caller known. */
  readonly key: (request: FastifyRequest) => string;
  /** Named in the 429 message: "for this user name". */
  readonly whose: string;
}

/**
 * A preHandler counting by something other than the address (which routes
 * declare in config.rateLimit). Independent of that count: a request can be
 * within one limit and over the other.
 */
export function keyedLimit(app: FastifyInstance, { perMinute: max, key, whose }: KeyedLimit): preHandlerAsyncHookHandler | undefined {
  if (max <= 0) return undefined;
  const check = app.createRateLimit({ max, timeWindow: 60_000, keyGenerator: key });
  return async (request) => {
    const outcome = await check(request);
    if (!outcome.isAllowed && outcome.isExceeded) throw tooManyRequests(outcome.ttl, whose);
  };
}

/** A route's limit: `max` requests per minute per client address; 0 means none. */
export function perMinute(max: number): RateLimitOptions | false {
  return max > 0 ? { max, timeWindow: 60_000 } : false;
}

