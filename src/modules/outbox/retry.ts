/** How a temporary failure is retried: pauses doubling from `firstPauseMs` up to `maxPauseMs`, for `giveUpAfterMs` in all. */
export interface RetryPolicy {
  readonly firstPauseMs: number;
  readonly maxPauseMs: number;
  readonly giveUpAfterMs: number;
}

/** One minute, doubling to two hours between tries, for a day: an SMTP outage of a night loses nothing. */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ firstPauseMs: 60_000, maxPauseMs: 2 * 3_600_000, giveUpAfterMs: 24 * 3_600_000 });

function pauseAfter(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.firstPauseMs * 2 ** Math.min(attempt - 1, 30), policy.maxPauseMs);
}

/**
 * After a temporary failure of try number `attempts` (1 for the first), the
 * pause before the next try; null once the pauses so far add up to the
 * give-up time (the message then fails). Counted from the tries rather than
 * the clock, so a message a retry brought back gets a full day again.
 */
export function nextPause(attempts: number, policy: RetryPolicy): number | null {
  let waited = 0;
  for (let attempt = 1; attempt <= attempts; attempt += 1) waited += pauseAfter(attempt, policy);
  return waited > policy.giveUpAfterMs ? null : pauseAfter(attempts, policy);
}
