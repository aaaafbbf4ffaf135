import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Who wrote within the last `windowMs`: after a principal's write, its reads
 * go to the primary for that long, so the page a redirect lands on shows
 * what was just written even when the replicas are a second behind.
 */
export interface RecentWriters {
  /** Remembers that `principal` just wrote; settles once the mark is stored (before the response leaves). */
  mark(principal: string): Promise<void>;
  /** Whether `principal` wrote within the window (or it cannot be known: then yes, the safe answer). */
  wroteRecently(principal: string): Promise<boolean>;
}

/** More marks than this are swept of expired ones before another is added. */
const SWEEP_ABOVE = 10_000;

/** One process's memory: right for a single app process, or when there is no Redis. */
export function memoryRecentWriters(windowMs: number, now: () => number = Date.now): RecentWriters {
  const until = new Map<string, number>();
  return {
    async mark(principal) {
      if (until.size >= SWEEP_ABOVE) {
        const time = now();
        for (const [key, expires] of until) if (expires <= time) until.delete(key);
      }
      until.set(principal, now() + windowMs);
    },
    async wroteRecently(principal) {
      const expires = until.get(principal);
      if (expires === undefined) return false;
      if (expires > now()) return true;
      until.delete(principal);
      return false;
    },
  };
}

const KEY_PREFIX = 'crm:wrote:';

/**
 * Shared by every app process through Redis: a key per principal that
 * expires with the window. Each process also keeps its own marks, so its own
 * principals read their writes while Redis is away; a principal Redis cannot
 * answer for reads from the primary.
 */
export function redisRecentWriters(redis: Redis, windowMs: number, logger: Pick<Logger, 'warn'>, now: () => number = Date.now): RecentWriters {
  const local = memoryRecentWriters(windowMs, now);
  let reported = false;
  const report = (error: unknown) => {
    // Redis's own client logs the outage; one line here says what it means for reads.
    if (!reported) logger.warn({ reason: (error as Error).message }, 'read-your-writes marks cannot reach Redis: reads go to the primary until it answers');
    reported = true;
  };
  return {
    async mark(principal) {
      await local.mark(principal);
      // READ_YOUR_WRITES_MS=0 switches the window off (Redis refuses an expiry of 0).
      if (windowMs <= 0) return;
      try {
        await redis.set(KEY_PREFIX + principal, '1', 'PX', windowMs);
        reported = false;
      } catch (error) {
        report(error);
      }
    },
    async wroteRecently(principal) {
      if (await local.wroteRecently(principal)) return true;
      try {
        const found = (await redis.exists(KEY_PREFIX + principal)) === 1;
        reported = false;
        return found;
      } catch (error) {
        report(error);
        return true;
      }
    },
  };
}
