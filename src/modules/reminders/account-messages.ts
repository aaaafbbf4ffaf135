import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { retryOnDeadlock } from '../../platform/db/deadlock.js';
import { insertUnlessPresent } from '../../platform/db/dialect.js';
import { form, table } from '../../platform/views/components.js';
import { timeTag } from '../../platform/views/format.js';
import { html, type SafeHtml } from '../../platform/views/html.js';
import { dateIn } from '../../shared/dates.js';
import type { Database } from '../../schema.js';
import { accountPath, ACCOUNTS_PATH, acctidParams, requireAccount, type AccountPageSection } from '../accounts/index.js';
import { recordAudit } from '../audit/index.js';
import { balancesAsOf } from '../ledger/index.js';
import { enqueueMessage, messagesOfAccount, type AccountMessage } from '../outbox/index.js';
import { firstOfMonth } from '../statements/index.js';
import { actorOf } from '../staff/index.js';
import { readPolicy } from './policy.js';
import { reminderMessage, type LinkFor, type Signature } from './reminder-message.js';
import { selectBatch } from './selection.js';
import { statementMessage } from './statement-mail.js';

const SEND = 'payments:record' as const;
const MESSAGES_SHOWN = 10;
const DONE = {
  'reminder-queued': 'A reminder was queued for this account; the worker sends it.',
  'statement-queued': 'This month’s statement was queued as an e-mail to this account, the PDF attached.',
  'nothing-overdue': 'No reminder was queued: nothing on this account is overdue.',
  'no-email': 'Nothing was queued: this account has no email address. Add one under Edit details.',
  'already-queued': 'Nothing new was queued: the same message was already queued today.',
  'no-balance': 'No statement was queued: the balance is zero.',
} as const;
type Done = keyof typeof DONE;

export interface AccountMessagesSettings {
  readonly db: Kysely<Database>;
  readonly company: Signature;
  /** The customer's link, made when the message is queued. */
  readonly linkFor: (now: number) => LinkFor;
  readonly timeZone: string;
}

const STATUS_TEXT: Readonly<Record<AccountMessage['status'], string>> = { pending: 'Waiting to be sent', sent: 'Sent', failed: 'Failed', cancelled: 'Cancelled' };

function messagesTable(messages: readonly AccountMessage[]): SafeHtml {
  return table({
    caption: 'E-mail to this account, newest first',
    columns: [
      { header: 'Queued', cell: (message: AccountMessage) => timeTag(message.createdAt) },
      { header: 'Kind', cell: (message: AccountMessage) => (message.purpose === 'reminder' ? 'Reminder' : message.purpose === 'statement' ? 'Statement' : message.purpose) },
      { header: 'Subject', cell: (message: AccountMessage) => message.subject },
      { header: 'Status', cell: (message: AccountMessage) => (message.status === 'sent' && message.sentAt !== null ? html`Sent ${timeTag(message.sentAt)}` : message.lastError !== null && message.status !== 'sent' ? html`${STATUS_TEXT[message.status]} <span class="hint">(${message.lastError})</span>` : STATUS_TEXT[message.status]) },
    ],
    rows: messages,
    empty: 'No e-mail has been queued for this account.',
  });
}

/** The account page's "Messages" section: what was e-mailed (every viewer), and Send reminder / Send statement (clerks and admins). */
export function accountMessagesSection({ db }: Pick<AccountMessagesSettings, 'db'>): AccountPageSection {
  return {
    done: DONE,
    render: async ({ account, may, csrfToken }) => {
      const messages = await messagesOfAccount(db, account.acctid, MESSAGES_SHOWN);
      const path = accountPath(account.acctid);
      const actions = may(SEND)
        ? html`<div class="message-actions">
${form({ action: `${path}/messages/reminder`, csrfToken, fields: [], submitLabel: 'Send reminder' })}
${form({ action: `${path}/messages/statement`, csrfToken, fields: [], submitLabel: 'Send statement' })}
</div>
<p class="hint">${account.email === null ? 'This account has no email address: add one under Edit details to send it e-mail.' : html`To ${account.email}. A reminder lists every overdue invoice; a statement covers this month so far, the PDF attached.`}</p>`
        : '';
      return html`<section class="card" aria-labelledby="messages-heading">
<h2 id="messages-heading">Messages</h2>
${actions}
${messagesTable(messages)}
</section>`;
    },
  };
}

/**
 * POST /accounts/{acctid}/messages/reminder and …/statement (staff scope,
 * payments:record: clerks and admins): queue one message now, audited, and
 * back to the account with what happened. At most one of each a day per
 * account (a double click queues one).
 */
export const accountMessageRoutes: FastifyPluginAsyncZod<AccountMessagesSettings> = async (app, { db, company, linkFor, timeZone }) => {
  const back = (acctid: string, done: Done) => `${accountPath(acctid)}?done=${done}`;

  app.post(`${ACCOUNTS_PATH}/:acctid/messages/reminder`, { config: { access: SEND }, schema: { params: acctidParams } }, async (request, reply) => {
    const { acctid } = request.params;
    const account = await requireAccount(db, acctid);
    if (account.email === null) return reply.redirect(back(acctid, 'no-email'), 303);
    const today = dateIn(timeZone);
    const levels = await readPolicy(db);
    const now = Date.now();
    // One account: from its id with the last character one lower and '~' after it (above every character an id may hold), so no other id falls in between.
    const batch = await selectBatch(db, { asOf: today, levels, range: { after: `${acctid.slice(0, -1)}${String.fromCharCode(acctid.charCodeAt(acctid.length - 1) - 1)}~`, upTo: acctid }, manual: true });
    const chosen = batch.toRemind.find((candidate) => candidate.acctid === acctid);
    if (!chosen) return reply.redirect(back(acctid, 'nothing-overdue'), 303);
    const message = { ...reminderMessage(chosen, { company, linkFor: linkFor(now) }), dedupeKey: `reminder:staff:${acctid}:${today}` };
    const outcome = await retryOnDeadlock(() =>
      db.transaction().execute(async (trx) => {
        const known = await trx.selectFrom('outbox_message').select('id').where('dedupe_key', '=', message.dedupeKey).executeTakeFirst();
        if (known) return 'already-queued' as const;
        const id = await enqueueMessage(trx, message, now);
        const records = chosen.invoices.filter((invoice) => invoice.needsReminder && invoice.reachedDays !== null).map((invoice) => ({ charge_id: invoice.chargeId, days_late: invoice.reachedDays ?? 0, acctid, as_of: today, message_id: id, created_at: now }));
        if (records.length > 0) await insertUnlessPresent(trx, trx.insertInto('reminder_sent').values(records), ['charge_id', 'days_late']).execute();
        await recordAudit(trx, actorOf(request), { action: 'message.queued', target: acctid, after: { purpose: message.purpose, to: message.to, subject: message.subject, message_id: id } }, now);
        return 'reminder-queued' as const;
      }),
    );
    return reply.redirect(back(acctid, outcome), 303);
  });

  app.post(`${ACCOUNTS_PATH}/:acctid/messages/statement`, { config: { access: SEND }, schema: { params: acctidParams } }, async (request, reply) => {
    const { acctid } = request.params;
    const account = await requireAccount(db, acctid);
    if (account.email === null) return reply.redirect(back(acctid, 'no-email'), 303);
    const today = dateIn(timeZone);
    const period = { from: firstOfMonth(today), to: today };
    const balance = (await balancesAsOf(db, [acctid], today)).get(acctid);
    if (balance === undefined || balance === 0) return reply.redirect(back(acctid, 'no-balance'), 303);
    const now = Date.now();
    const message = statementMessage({ acctid, name: account.name, email: account.email }, period, balance, { company, linkFor: linkFor(now) });
    const outcome = await retryOnDeadlock(() =>
      db.transaction().execute(async (trx) => {
        const known = await trx.selectFrom('outbox_message').select('id').where('dedupe_key', '=', message.dedupeKey).executeTakeFirst();
        if (known) return 'already-queued' as const;
        const id = await enqueueMessage(trx, message, now);
        await recordAudit(trx, actorOf(request), { action: 'message.queued', target: acctid, after: { purpose: message.purpose, to: message.to, subject: message.subject, message_id: id } }, now);
        return 'statement-queued' as const;
      }),
    );
    return reply.redirect(back(acctid, outcome), 303);
  });
};
