import type { Kysely } from 'kysely';
import { insertUnlessPresent } from '../../platform/db/dialect.js';
import type { Database } from '../../schema.js';
import { dateIn } from '../../shared/dates.js';

/** A job the workers run once a day at `at` (HH:MM) in `timeZone`: one of them, whatever their number. */
export interface DailyJob {
  readonly at: string;
  readonly timeZone: string;
  readonly name: string;
  /** `today` is the day in `timeZone`, YYYY-MM-DD; the returned text is kept as the run's outcome. */
  run(db: Kysely<Database>, today: string): Promise<string | void>;
}

const clockFormatters = new Map<string, Intl.DateTimeFormat>();

/** "HH:MM" at `now` in `timeZone`. */
function clockIn(timeZone: string, now: number): string {
  let formatter = clockFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    clockFormatters.set(timeZone, formatter);
  }
  return formatter.format(now);
}

/**
 * Runs today's job if its time has come and no worker has taken it yet.
 * Taking it is inserting the (job, day) row: the primary key lets exactly
 * one worker's insert in, and that worker runs it. A worker that dies while
 * running it leaves the day done (the job's own command can be run by hand).
 * Returns the day it settled (run here or by another), or null if not yet due.
 */
export async function runDailyIfDue(db: Kysely<Database>, job: DailyJob, worker: string, now: number): Promise<string | null> {
  if (clockIn(job.timeZone, now) < job.at) return null;
  const today = dateIn(job.timeZone, now);
  await insertUnlessPresent(db, db.insertInto('outbox_daily_run').values({ job: job.name, day: today, worker, started_at: now }), ['job', 'day']).execute();
  const taken = await db.selectFrom('outbox_daily_run').select(['worker', 'started_at']).where('job', '=', job.name).where('day', '=', today).executeTakeFirstOrThrow();
  if (taken.worker !== worker || Number(taken.started_at) !== now) return today;
  let outcome: string;
  try {
    outcome = (await job.run(db, today)) || 'done';
  } catch (error) {
    outcome = `failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  await db.updateTable('outbox_daily_run').set({ finished_at: Date.now(), outcome: outcome.slice(0, 1000) }).where('job', '=', job.name).where('day', '=', today).execute();
  return today;
}
