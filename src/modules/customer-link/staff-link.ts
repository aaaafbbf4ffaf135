import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { retryOnDeadlock } from '../../platform/db/deadlock.js';
import { form } from '../../platform/views/components.js';
import { shownDate, timeTag } from '../../platform/views/format.js';
import { html } from '../../platform/views/html.js';
import type { Database } from '../../schema.js';
import { accountPath, ACCOUNTS_PATH, acctidParams, requireAccount, type AccountPageSection } from '../accounts/index.js';
import { actorOf } from '../staff/index.js';
import { customerLinkFor } from './customer-link.js';
import { linkExpiry } from './link-token.js';
import { linksRevokedAt, revokeCustomerLinks } from './link-revocation.js';

export interface CustomerLinkSettings {
  readonly db: Kysely<Database>;
  /** SESSION_SECRET. */
  readonly secret: string;
  /** PUBLIC_BASE_URL. */
  readonly baseUrl: string;
  /** STATEMENT_LINK_DAYS. */
  readonly days: number;
}

/** Staff who may hand out and revoke an account's links: those who may change the account. */
const MANAGE = 'accounts:write';
const REVOKED = 'links-revoked';

const REVOKE = '/customer-link/revoke';
const revokePath = (acctid: string) => `${accountPath(acctid)}${REVOKE}`;

/**
 * The account page's "Customer link" section for clerks and admins: a fresh
 * link to copy (a read-only field: no script needed), how long it works, and
 * the button that revokes every link of the account made so far.
 */
export function customerLinkSection({ db, secret, baseUrl, days }: CustomerLinkSettings): AccountPageSection {
  return {
    done: { [REVOKED]: 'Every customer link of this account made until now was revoked. The link shown below is new.' },
    render: async ({ account, may, csrfToken }) => {
      if (!may(MANAGE)) return null;
      const now = Date.now();
      const link = customerLinkFor({ secret, baseUrl, acctid: account.acctid, now, days });
      const revokedAt = await linksRevokedAt(db, account.acctid);
      return html`<section class="card" aria-labelledby="customer-link-heading">
<h2 id="customer-link-heading">Customer link</h2>
<p>The customer’s own page without signing in: balance, open invoices, aging and the statement PDF. Anyone with the link can open it, so send it to the customer only. Reminders and statements by e-mail carry one too.</p>
<div class="field customer-link-field">
<label for="customer-link">Link for ${account.acctid}</label>
<input type="text" id="customer-link" value="${link}" readonly aria-describedby="customer-link-hint">
<p class="hint" id="customer-link-hint">Select it and copy. Works until ${shownDate(linkExpiry(now, days))} (${days} ${days === 1 ? 'day' : 'days'}).</p>
</div>
<div class="danger-zone">
${form({ action: revokePath(account.acctid), csrfToken, fields: [], submitLabel: 'Revoke all links' })}
<p class="hint">${revokedAt === null ? 'Every link of this account sent so far stops working; links made afterwards work.' : html`Links were last revoked ${timeTag(revokedAt)}. Revoking again stops every link sent since.`}</p>
</div>
</section>`;
    },
  };
}

/** POST /accounts/{acctid}/customer-link/revoke (staff scope, accounts:write): revokes, audited, and back to the account. */
export const customerLinkStaffRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database> }> = async (app, { db }) => {
  app.post(`${ACCOUNTS_PATH}/:acctid${REVOKE}`, { config: { access: MANAGE }, schema: { params: acctidParams } }, async (request, reply) => {
    const { acctid } = request.params;
    await requireAccount(db, acctid);
    await retryOnDeadlock(() => db.transaction().execute((trx) => revokeCustomerLinks(trx, actorOf(request), acctid, Date.now())));
    return reply.redirect(`${accountPath(acctid)}?done=${REVOKED}#customer-link-heading`, 303);
  });
};
