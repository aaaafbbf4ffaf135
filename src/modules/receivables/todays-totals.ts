import type { IsoDate } from '../../shared/dates.js';
import type { Queryable } from '../../schema.js';
import { agingPage, agingTotals, pastAgingReport, type AgingPage, type AgingPageRequest, type AgingTotals } from './aging-report.js';

/**
 * Today's totals over every account, from one reading shared by the
 * requests of a process, never older than TODAY_TOTALS_MAX_AGE_MS (the
 * dashboard's promise). Reading them is one pass over every open item: at a
 * million accounts (about 2.7 million open items) it took about 1 s on this
 * machine (docs/benchmarks.md), too slow for every request of a report whose
 * pages take milliseconds. The rows of a page are always read live; a past
 * day's totals are read with its page.
 */
export const TODAY_TOTALS_MAX_AGE_MS = 30_000;
/** From this age a reading is still served while one new reading replaces it in the background. */
export const TODAY_TOTALS_REFRESH_AFTER_MS = 20_000;

export interface TotalsReading {
  /** When the reading started (ms since the epoch): the totals are as of then. */
  readonly readAt: number;
  readonly today: IsoDate;
  readonly totals: AgingTotals;
}

interface Entry {
  value?: TotalsReading;
  pending?: { readonly today: IsoDate; readonly startedAt: number; readonly result: Promise<TotalsReading> };
}

const cache = new WeakMap<Queryable, Entry>();

/**
 * Today's totals: a reading younger than the refresh age as it is; an older
 * one within the promise while one reading replaces it in the background; a
 * new reading (shared by the requests that arrive meanwhile) when there is
 * none for today within the promise.
 */
export function todaysTotals(db: Queryable, today: IsoDate, onRefreshError: (error: unknown) => void = () => undefined, now = Date.now()): Promise<TotalsReading> {
  let entry = cache.get(db);
  if (!entry) cache.set(db, (entry = {}));
  const state = entry;
  const start = (): Promise<TotalsReading> => {
    if (state.pending && state.pending.today === today && now - state.pending.startedAt < TODAY_TOTALS_MAX_AGE_MS) return state.pending.result;
    const pending = {
      today,
      startedAt: now,
      result: agingTotals(db, today, today)
        .then((totals) => {
          const reading = { readAt: now, today, totals };
          if (!state.value || state.value.today !== today || state.value.readAt < now) state.value = reading;
          return reading;
        })
        .finally(() => {
          if (state.pending === pending) delete state.pending;
        }),
    };
    state.pending = pending;
    return pending.result;
  };
  const { value } = state;
  if (!value || value.today !== today || now - value.readAt >= TODAY_TOTALS_MAX_AGE_MS) return start();
  if (now - value.readAt >= TODAY_TOTALS_REFRESH_AFTER_MS && !state.pending) start().catch(onRefreshError);
  return Promise.resolve(value);
}

/**
 * The report as of a day: the totals and a page of accounts. Today's totals
 * come from the shared reading and the page is read live; a past day's are
 * read now, both from one grouping (pastAgingReport).
 */
export async function agingReport(db: Queryable, request: AgingPageRequest, onRefreshError?: (error: unknown) => void): Promise<{ readonly reading: TotalsReading; readonly page: AgingPage }> {
  const { asOf, today } = request;
  if (asOf >= today) {
    const [reading, page] = await Promise.all([todaysTotals(db, today, onRefreshError), agingPage(db, request)]);
    return { reading, page };
  }
  const readAt = Date.now();
  const { totals, page } = await pastAgingReport(db, request);
  return { reading: { readAt, today, totals }, page };
}
