import { sql } from 'kysely';
import { addDays, daysBetween, type IsoDate } from '../../shared/dates.js';
import { addCents, centsFromColumn, ZERO_CENTS, type Cents } from '../../shared/money.js';
import type { Queryable } from '../../schema.js';
import type { ReminderLevel } from './policy.js';

/**
 * Which accounts to remind on a day D, a batch of accounts at a time (keyset
 * on the account id): three set-based reads per batch, none per account.
 * - the batch's accounts (open, reminders on);
 * - their invoices overdue on D (open items of side 'charge', dated on or
 *   before D, due before D, with what was still open of each on D: open_cents
 *   when nothing was applied after D, else the amount less what was applied
 *   by D, as aging does; decision 0018);
 * - the levels their invoices were already reminded of (reminder_sent).
 * An invoice has reached the highest level whose days it is late by; it needs
 * a reminder when it has not been reminded of that level or a higher one. An
 * account with such invoices gets one message, for the highest level among
 * them, listing every invoice overdue on D.
 */

export interface OverdueInvoice {
  readonly chargeId: number;
  readonly reference: string | null;
  readonly dueOn: IsoDate;
  readonly openCents: Cents;
  readonly daysLate: number;
  /** The highest level it has reached on D (days), or null below the first level. */
  readonly reachedDays: number | null;
  /** Whether this reminder is the first to tell of its level. */
  readonly needsReminder: boolean;
}

export interface AccountToRemind {
  readonly acctid: string;
  readonly name: string;
  readonly email: string | null;
  /** The message's level: the highest level reached by an invoice that needs a reminder. */
  readonly level: ReminderLevel;
  /** Every invoice overdue on D, most overdue first. */
  readonly invoices: readonly OverdueInvoice[];
  readonly totalOverdueCents: Cents;
}

export interface SelectionBatch {
  /** Accounts with an e-mail address and something to remind of. */
  readonly toRemind: readonly AccountToRemind[];
  /** Accounts with something to remind of but no e-mail address. */
  readonly withoutEmail: readonly AccountToRemind[];
  /** Accounts whose overdue invoices were all reminded of their level already. */
  readonly alreadyReminded: number;
  /** Accounts read in this batch (for progress). */
  readonly accountsRead: number;
}

export const SELECTION_BATCH_SIZE = 2000;

interface BatchAccount {
  readonly acctid: string;
  readonly name: string;
  readonly email: string | null;
}

/** The highest level whose days `daysLate` reaches, or undefined. Levels fewest days first. */
function levelReached(levels: readonly ReminderLevel[], daysLate: number): ReminderLevel | undefined {
  let reached: ReminderLevel | undefined;
  for (const level of levels) if (level.daysLate <= daysLate) reached = level;
  return reached;
}

/**
 * The account id that ends the batch starting after `after`: the
 * `batchSize`-th id, or undefined when fewer remain (the batch runs to the
 * end). Read along the primary key alone, so batches can be handed out
 * before they are worked through.
 */
export async function batchEnd(db: Queryable, after: string | undefined, batchSize = SELECTION_BATCH_SIZE): Promise<string | undefined> {
  let query = db.selectFrom('account').select('acctid');
  if (after !== undefined) query = query.where('acctid', '>', after);
  const row = await query.orderBy('acctid').limit(1).offset(batchSize - 1).executeTakeFirst();
  return row?.acctid;
}

export interface BatchRange {
  /** The batch starts after this id (undefined: from the first account). */
  readonly after: string | undefined;
  /** The batch ends with this id, included (undefined: to the last account). */
  readonly upTo: string | undefined;
}

/**
 * The accounts of one id range, what each owes overdue on D and what was
 * already reminded: one read of the accounts, one of their invoices, one of
 * their reminders.
 */
export async function selectBatch(
  db: Queryable,
  { asOf, levels, range, manual = false }: { asOf: IsoDate; levels: readonly ReminderLevel[]; range: BatchRange; /** Staff asked: any overdue invoice, whatever was reminded before. */ manual?: boolean },
): Promise<SelectionBatch> {
  const { after, upTo } = range;
  let accountQuery = db.selectFrom('account').select(['acctid', 'name', 'email', 'reminders', 'closed_at']);
  if (after !== undefined) accountQuery = accountQuery.where('acctid', '>', after);
  if (upTo !== undefined) accountQuery = accountQuery.where('acctid', '<=', upTo);
  const read = await accountQuery.execute();
  const last = upTo ?? read.reduce<string | undefined>((max, row) => (max === undefined || row.acctid > max ? row.acctid : max), undefined);
  const empty: SelectionBatch = { toRemind: [], withoutEmail: [], alreadyReminded: 0, accountsRead: read.length };
  const first = levels[0];
  if (last === undefined || first === undefined) return empty;
  const accounts = new Map<string, BatchAccount>();
  for (const row of read) if (row.closed_at === null && Number(row.reminders) !== 0) accounts.set(row.acctid, { acctid: row.acctid, name: row.name, email: row.email });
  if (accounts.size === 0) return empty;

  const lower = after === undefined ? sql`` : sql`and oi.acctid > ${after}`;
  // Anything due before D is overdue on D; only accounts with an invoice at least the first level late get a message.
  const { rows: items } = await sql<{ acctid: string; entry_id: number | string | bigint; due_on: string; open_cents: number | string | bigint | null; reference: string | null }>`
    select oi.acctid, oi.entry_id, oi.due_on, le.reference,
      case when oi.last_applied_on is null or oi.last_applied_on <= ${asOf} then oi.open_cents
        else oi.amount_cents - coalesce((select sum(a.amount_cents) from allocation a where a.charge_id = oi.entry_id and a.effective_on <= ${asOf}), 0) end as open_cents
    from open_item oi join ledger_entry le on le.id = oi.entry_id
    where oi.acctid <= ${last} ${lower} and oi.side = 'charge' and oi.due_on < ${asOf} and oi.effective_on <= ${asOf}
      and (oi.settled_on is null or oi.settled_on > ${asOf})`.execute(db);

  const byAccount = new Map<string, { chargeId: number; reference: string | null; dueOn: string; openCents: Cents; daysLate: number }[]>();
  const oldestDue = addDays(asOf, -first.daysLate);
  const reachesALevel = new Set<string>();
  for (const item of items) {
    if (!accounts.has(item.acctid)) continue;
    const openCents = centsFromColumn(item.open_cents ?? 0);
    if (openCents <= 0) continue;
    let list = byAccount.get(item.acctid);
    if (!list) byAccount.set(item.acctid, (list = []));
    list.push({ chargeId: Number(item.entry_id), reference: item.reference, dueOn: item.due_on, openCents, daysLate: daysBetween(item.due_on, asOf) });
    if (manual || item.due_on <= oldestDue) reachesALevel.add(item.acctid);
  }
  if (reachesALevel.size === 0) return empty;

  const recorded = new Map<number, number>();
  const sentQuery = db.selectFrom('reminder_sent').select(['charge_id', 'days_late']).where('acctid', '<=', last);
  const sent = await (after === undefined ? sentQuery : sentQuery.where('acctid', '>', after)).execute();
  for (const row of sent) {
    const id = Number(row.charge_id);
    recorded.set(id, Math.max(recorded.get(id) ?? 0, Number(row.days_late)));
  }

  const toRemind: AccountToRemind[] = [];
  const withoutEmail: AccountToRemind[] = [];
  let alreadyReminded = 0;
  for (const acctid of reachesALevel) {
    const account = accounts.get(acctid);
    const overdue = byAccount.get(acctid);
    if (!account || !overdue) continue;
    let messageLevel: ReminderLevel | undefined;
    let total = ZERO_CENTS;
    const invoices = overdue
      .sort((a, b) => b.daysLate - a.daysLate || a.chargeId - b.chargeId)
      .map((invoice): OverdueInvoice => {
        total = addCents(total, invoice.openCents);
        const reached = levelReached(levels, invoice.daysLate);
        const needsReminder = reached !== undefined && reached.daysLate > (recorded.get(invoice.chargeId) ?? 0);
        const shownLevel = manual ? (reached ?? first) : needsReminder ? reached : undefined;
        if (shownLevel && (!messageLevel || shownLevel.daysLate > messageLevel.daysLate)) messageLevel = shownLevel;
        return { ...invoice, reachedDays: reached?.daysLate ?? null, needsReminder };
      });
    if (!messageLevel) {
      alreadyReminded += 1;
      continue;
    }
    const chosen: AccountToRemind = { acctid, name: account.name, email: account.email, level: messageLevel, invoices, totalOverdueCents: total };
    (account.email === null || account.email === '' ? withoutEmail : toRemind).push(chosen);
  }
  const byId = (a: AccountToRemind, b: AccountToRemind) => (a.acctid < b.acctid ? -1 : 1);
  return { toRemind: toRemind.sort(byId), withoutEmail: withoutEmail.sort(byId), alreadyReminded, accountsRead: read.length };
}
