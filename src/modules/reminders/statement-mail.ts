import type { Kysely } from 'kysely';
import { renderMail } from '../../platform/mail/index.js';
import { businessDate, money } from '../../platform/views/format.js';
import { ZERO_CENTS } from '../../shared/money.js';
import type { Database, Queryable } from '../../schema.js';
import { balancesAsOf } from '../ledger/index.js';
import { enqueueMessage, enqueueMessages } from '../outbox/index.js';
import { readStatement, statementFileName, statementPdfBytes, type Statement, type StatementPeriod } from '../statements/index.js';
import type { LinkFor, Signature } from './reminder-message.js';
import type { BatchRange } from './selection.js';

export const STATEMENT_PURPOSE = 'statement';
/** The attachment kind the worker renders from {acctid, asOf, from}. */
export const STATEMENT_ATTACHMENT = 'statement';

/**
 * The worker's renderer for a `statement` attachment: the statements
 * module's PDF of the account for the period, drawn when the message is sent
 * (so a queued message carries a reference, not megabytes).
 */
export function statementAttachment(company: Signature) {
  return async (db: Kysely<Database>, ref: Readonly<Record<string, string>>): Promise<{ filename: string; contentType: string; content: Buffer }> => {
    const { acctid, asOf, from } = ref;
    if (acctid === undefined || asOf === undefined || from === undefined) throw new Error('a statement attachment names acctid, asOf and from');
    const statement = await readStatement(db, acctid, { from, to: asOf });
    return { filename: statementFileName(acctid, asOf), contentType: 'application/pdf', content: await statementPdfBytes(statement, company) };
  };
}

/** The statement e-mail of one account: a short letter, its closing balance, the PDF attached, the customer's link. */
export function statementMessage(account: { acctid: string; name: string; email: string }, period: StatementPeriod, closingCents: Statement['closingBalanceCents'], { company, linkFor }: { company: Signature; linkFor: LinkFor }) {
  const { text, html } = renderMail({
    company: { name: company.name, address: company.addressLines },
    greeting: `Dear ${account.name},`,
    paragraphs: [
      `Please find attached your statement for account ${account.acctid}, ${businessDate(period.from)} to ${businessDate(period.to)}.`,
      `Balance on ${businessDate(period.to)}: ${money(closingCents)}.`,
      'If you have questions about any entry, reply to this message.',
    ],
    link: { href: linkFor(account.acctid), text: 'Your account and statement online' },
  });
  return {
    purpose: STATEMENT_PURPOSE,
    acctid: account.acctid,
    to: account.email,
    subject: `Your statement for ${period.from} to ${period.to}, account ${account.acctid}`,
    text,
    html,
    attachment: { kind: STATEMENT_ATTACHMENT, ref: { acctid: account.acctid, asOf: period.to, from: period.from } },
    // One statement e-mail per account and period, however often it is queued.
    dedupeKey: `statement:${account.acctid}:${period.from}:${period.to}`,
  };
}

/** Queues one account's statement e-mail in `trx`; returns the message id. */
export async function queueStatementMail(trx: Queryable, account: { acctid: string; name: string; email: string }, period: StatementPeriod, closingCents: Statement['closingBalanceCents'], options: { company: Signature; linkFor: LinkFor; now: number }): Promise<number> {
  return enqueueMessage(trx, statementMessage(account, period, closingCents, options), options.now);
}


export interface StatementMailReport {
  readonly period: StatementPeriod;
  readonly accountsRead: number;
  /** Statement e-mails queued (an account and period queued before counts again, without a second message). */
  readonly queued: number;
  /** Accounts with a balance on the last day but no e-mail address, by id. */
  readonly withoutEmail: readonly string[];
}

/** Accounts per batch: one read of the accounts, one of their balances, one transaction of messages. */
export const STATEMENT_MAIL_BATCH_SIZE = 1000;

/**
 * Queues the statement e-mail (the PDF attached when sent) of every open
 * account whose balance on the period's last day is not zero, a batch of
 * accounts at a time by id. Accounts without an e-mail are listed, not queued.
 */
export async function queueStatementMails(
  db: Kysely<Database>,
  { period, company, linkFor, now, batchSize = STATEMENT_MAIL_BATCH_SIZE, range, onProgress }: { period: StatementPeriod; company: Signature; linkFor: LinkFor; now: number; batchSize?: number; range?: BatchRange; onProgress?: (accountsRead: number, queued: number) => void },
): Promise<StatementMailReport> {
  let after = range?.after;
  let accountsRead = 0;
  let queued = 0;
  const withoutEmail: string[] = [];
  for (;;) {
    let query = db.selectFrom('account').select(['acctid', 'name', 'email', 'closed_at']);
    if (after !== undefined) query = query.where('acctid', '>', after);
    if (range?.upTo !== undefined) query = query.where('acctid', '<=', range.upTo);
    const accounts = await query.orderBy('acctid').limit(batchSize).execute();
    if (accounts.length === 0) break;
    after = accounts.at(-1)?.acctid;
    accountsRead += accounts.length;
    const open = accounts.filter((account) => account.closed_at === null);
    const balances = await balancesAsOf(db, open.map(({ acctid }) => acctid), period.to);
    const owing = open.filter(({ acctid }) => (balances.get(acctid) ?? 0) !== 0);
    const mailed = owing.flatMap((account) => (account.email === null || account.email === '' ? (withoutEmail.push(account.acctid), []) : [{ acctid: account.acctid, name: account.name, email: account.email }]));
    if (mailed.length > 0) {
      // A few hundred rows a statement (enqueueMessages), as the reminders run does: one statement a message would dominate at scale.
      const messages = mailed.map((account) => statementMessage(account, period, balances.get(account.acctid) ?? ZERO_CENTS, { company, linkFor }));
      await db.transaction().execute((trx) => enqueueMessages(trx, messages, now));
    }
    queued += mailed.length;
    onProgress?.(accountsRead, queued);
    if (accounts.length < batchSize) break;
  }
  return { period, accountsRead, queued, withoutEmail };
}
