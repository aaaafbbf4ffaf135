import { dateIn } from '../../shared/dates.js';
import type { Queryable } from '../../schema.js';

/** What a check run just before sending decides. */
export type SendDecision = { readonly send: true } | { readonly send: false; readonly reason: string };

/**
 * The check the worker runs just before sending a reminder: the account must
 * still be open, still take reminders and still owe something overdue today
 * (an open invoice due before today, in the business time zone). Paid,
 * credited or closed since it was queued: the reminder is cancelled.
 */
export function reminderStillDue({ timeZone, today = () => dateIn(timeZone) }: { readonly timeZone: string; readonly today?: () => string }) {
  return async (db: Queryable, message: { readonly acctid: string | null }): Promise<SendDecision> => {
    if (message.acctid === null) return { send: false, reason: 'a reminder without an account' };
    const account = await db.selectFrom('account').select(['closed_at', 'reminders']).where('acctid', '=', message.acctid).executeTakeFirst();
    if (!account) return { send: false, reason: `account ${message.acctid} no longer exists` };
    if (account.closed_at !== null) return { send: false, reason: `account ${message.acctid} was closed` };
    if (Number(account.reminders) === 0) return { send: false, reason: `reminders were turned off for account ${message.acctid}` };
    // Along open_item_account: this account's unsettled charges, by due date.
    const overdue = await db
      .selectFrom('open_item')
      .select('entry_id')
      .where('acctid', '=', message.acctid)
      .where('side', '=', 'charge')
      .where('settled_on', 'is', null)
      .where('due_on', '<', today())
      .limit(1)
      .executeTakeFirst();
    if (!overdue) return { send: false, reason: `account ${message.acctid} no longer has an overdue balance (paid or credited since the reminder was queued)` };
    return { send: true };
  };
}
