import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { perMinute } from '../../platform/http/rate-limit.js';
import { PUBLIC } from '../../platform/http/scopes.js';
import { HTML } from '../../platform/views/staff-page.js';
import { addDays, dateIn } from '../../shared/dates.js';
import { AppError, FieldsError } from '../../shared/errors.js';
import type { Database } from '../../schema.js';
import { requireAccount, type AccountDetails } from '../accounts/index.js';
import { recordAudit, type Actor } from '../audit/index.js';
import { accountAging, accountInvoices } from '../ledger/index.js';
import { firstOfMonth, readStatement, statementFileName, statementPdfBytes, type Company, type StatementPeriod } from '../statements/index.js';
import { CUSTOMER_LINK_PREFIX } from './customer-link.js';
import { isRevoked, linksRevokedAt } from './link-revocation.js';
import { readLinkToken, type LinkClaims } from './link-token.js';
import { customerPage, linkExpiredPage, linkNotFoundPage, statementTooLongPage } from './customer-page.views.js';

export interface CustomerPageRoutesOptions {
  readonly db: Kysely<Database>;
  /** SESSION_SECRET: the links' key derives from it. */
  readonly secret: string;
  readonly company: Company;
  /** The business time zone: it decides what "today" and "late" are. */
  readonly timeZone: string;
  /** Openings per minute per client address (page and PDF together per route); 0 = no limit. */
  readonly opensPerMinute: number;
}

/** Open invoices the page lists; the statement lists every one. */
export const CUSTOMER_INVOICES_SHOWN = 100;

/** Who opens a link: nobody signed in, known by address and request only. */
const customerActor = (request: FastifyRequest): Actor => ({ name: 'customer', ip: request.ip, requestId: request.id });

/** The statement offered: from the first day of last month to today, so a new month still shows the last one whole. */
function statementPeriodOf(today: string): StatementPeriod {
  return { from: firstOfMonth(addDays(firstOfMonth(today), -1)), to: today };
}

/**
 * GET /s/{token} and /s/{token}/statement.pdf in the public scope: one
 * account's page and statement for whoever holds a genuine, unexpired,
 * unrevoked link. Anything else shows nothing of any account: 404 for a link
 * that is not ours or was revoked (or whose account is gone), 410 for an
 * expired one. Every answer is no-store and noindex; each opening is audited.
 */
export const customerPageRoutes: FastifyPluginAsyncZod<CustomerPageRoutesOptions> = async (app, { db, secret, company, timeZone, opensPerMinute }) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-robots-tag', 'noindex');
  });

  const config = { access: PUBLIC, rateLimit: perMinute(opensPerMinute) };
  const page = (reply: FastifyReply, status: number, body: string) => reply.code(status).type(HTML).send(body);

  /**
   * Whether a request opens the link: a HEAD (a link checker, a mail
   * scanner looking before the customer does) is answered as a GET is, but
   * the audit log keeps only what a person opened.
   */
  const isOpening = (request: FastifyRequest) => request.method !== 'HEAD';

  /** The account a token opens, or the refusal already sent (and audited when the link was genuine). */
  async function open(request: FastifyRequest, reply: FastifyReply, token: string, what: string): Promise<{ account: AccountDetails; claims: LinkClaims } | null> {
    const reading = readLinkToken(secret, token, Date.now());
    if (!reading.ok && reading.reason === 'invalid') {
      request.log.info('customer link refused: not a link of ours');
      page(reply, 404, linkNotFoundPage(company));
      return null;
    }
    const { claims } = reading;
    const refuse = async (reason: 'revoked' | 'expired' | 'no-account', status: number, body: string) => {
      if (reason !== 'no-account' && isOpening(request)) await recordAudit(db, customerActor(request), { action: 'customer_link.refused', target: claims.acctid, after: { reason, opening: what } });
      page(reply, status, body);
      return null;
    };
    let account: AccountDetails;
    try {
      account = await requireAccount(db, claims.acctid);
    } catch (error) {
      if (error instanceof AppError && error.statusCode === 404) return refuse('no-account', 404, linkNotFoundPage(company));
      throw error;
    }
    // Revoked before expired: a withdrawn link says no more than a forged one.
    if (isRevoked(claims.issuedAt, await linksRevokedAt(db, claims.acctid))) return refuse('revoked', 404, linkNotFoundPage(company));
    if (!reading.ok) return refuse('expired', 410, linkExpiredPage(company));
    return { account, claims };
  }

  app.get(`${CUSTOMER_LINK_PREFIX}/:token`, { config }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const opened = await open(request, reply, token, 'page');
    if (!opened) return reply;
    const { account, claims } = opened;
    const today = dateIn(timeZone);
    const [invoices, { aging }] = await Promise.all([
      accountInvoices(db, account.acctid, { openLimit: CUSTOMER_INVOICES_SHOWN, paidLimit: 0 }),
      accountAging(db, account.acctid, today),
    ]);
    if (isOpening(request)) await recordAudit(db, customerActor(request), { action: 'customer_link.opened', target: account.acctid, after: { link_made: new Date(claims.issuedAt).toISOString() } });
    return page(
      reply,
      200,
      customerPage({ company, account, invoices, aging, today, statement: statementPeriodOf(today), statementHref: `${CUSTOMER_LINK_PREFIX}/${token}/statement.pdf`, expiresAt: claims.expiresAt }),
    );
  });

  app.get(`${CUSTOMER_LINK_PREFIX}/:token/statement.pdf`, { config }, async (request, reply) => {
    const { token } = request.params as { token: string };
    const opened = await open(request, reply, token, 'statement');
    if (!opened) return reply;
    const { account, claims } = opened;
    const period = statementPeriodOf(dateIn(timeZone));
    let bytes: Buffer;
    try {
      bytes = await statementPdfBytes(await readStatement(db, account.acctid, period), company);
    } catch (error) {
      if (!(error instanceof FieldsError) || error.code !== 'STATEMENT_TOO_LONG') throw error;
      return page(reply, 422, statementTooLongPage(company));
    }
    if (isOpening(request))
      await recordAudit(db, customerActor(request), {
      action: 'customer_link.statement_downloaded',
      target: account.acctid,
      after: { link_made: new Date(claims.issuedAt).toISOString(), from: period.from, to: period.to },
    });
    return reply.header('content-disposition', `attachment; filename="${statementFileName(account.acctid, period.to)}"`).type('application/pdf').send(bytes);
  });
};
