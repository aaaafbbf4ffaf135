import { createHash } from 'node:crypto';
import { renderMail } from '../../platform/mail/index.js';
import { businessDate, money } from '../../platform/views/format.js';
import type { NewMessage } from '../outbox/index.js';
import { fillPlaceholders } from './policy.js';
import type { AccountToRemind } from './selection.js';

/** Who signs the messages: the company's name and address lines (the statements' COMPANY_NAME and COMPANY_ADDRESS). */
export interface Signature {
  readonly name: string;
  readonly addressLines: readonly string[];
}

/** The customer's link to their account page, made by the composition (the customer-link module). */
export type LinkFor = (acctid: string) => string;

export const REMINDER_PURPOSE = 'reminder';

/**
 * One message per account, level and set of invoices reminded of: running
 * the policy again on the same day, or on a later day before anything
 * changed, queues nothing new.
 */
export function reminderDedupeKey(account: AccountToRemind): string {
  const ids = account.invoices
    .filter((invoice) => invoice.needsReminder)
    .map((invoice) => invoice.chargeId)
    .sort((a, b) => a - b)
    .join(',');
  return `reminder:${account.acctid}:${account.level.daysLate}:${createHash('sha256').update(ids).digest('base64url').slice(0, 22)}`;
}

/** The invoice as the customer knows it: its reference, or its entry number. */
function invoiceName(invoice: AccountToRemind['invoices'][number]): string {
  return invoice.reference ?? `No. ${invoice.chargeId}`;
}

/** The reminder for `account`, its subject and text from its level, signed by the company, with the customer's link. */
export function reminderMessage(account: AccountToRemind, { company, linkFor }: { company: Signature; linkFor: LinkFor }): NewMessage & { dedupeKey: string } {
  if (account.email === null) throw new Error(`account ${account.acctid} has no e-mail address`);
  const totalOverdue = money(account.totalOverdueCents);
  const values = { customer: account.name, acctid: account.acctid, total_overdue: totalOverdue, invoice_count: String(account.invoices.length) };
  const paragraphs = fillPlaceholders(account.level.body, values)
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '');
  const { text, html } = renderMail({
    company: { name: company.name, address: company.addressLines },
    paragraphs: [...paragraphs, `Total overdue on account ${account.acctid}: ${totalOverdue}.`],
    table: {
      head: ['Invoice', 'Due on', 'Days late', 'Open'],
      rows: account.invoices.map((invoice) => [invoiceName(invoice), businessDate(invoice.dueOn), String(invoice.daysLate), money(invoice.openCents)]),
    },
    link: { href: linkFor(account.acctid), text: 'Your account and statement online' },
  });
  return {
    purpose: REMINDER_PURPOSE,
    acctid: account.acctid,
    to: account.email,
    subject: fillPlaceholders(account.level.subject, values),
    text,
    html,
    dedupeKey: reminderDedupeKey(account),
  };
}
