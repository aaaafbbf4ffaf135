import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * A Redis client for shared counters that never makes a request wait for
 * Redis: commands fail at once while it is unreachable (no offline queue, no
 * retries per command) and within half a second when it is slow, so callers
 * can fall back. It keeps reconnecting in the background.
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 500, 5000),
  });
  let reported = false;
  redis.on('error', (error: Error) => {
    // ioredis emits an error per reconnect attempt; one line per outage is enough.
    if (!reported) logger.warn({ reason: error.message }, 'Redis is unreachable; rate limits fall back to this process’s memory');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) logger.info('Redis is reachable again; rate limits are shared again');
    reported = false;
  });
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/**
 * Waits up to `ms` for the first connection, so the first requests after a
 * start count in Redis rather than falling back to memory. Never throws:
 * an unreachable Redis degrades the limits, it does not stop the app.
 */
export async function waitForRedis(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
