import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { FlashMessage } from '../../platform/views/components.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';
import type { Database, Queryable } from '../../schema.js';
import { AppError } from '../../shared/errors.js';
import { actorOf } from '../staff/index.js';
import { latestHeartbeat } from './heartbeat.js';
import { cancelMessage, countByStatus, listMessages, retryAll, retryMessage } from './operations.js';
import { OUTBOX_STATUSES, type OutboxStatus } from './outbox.table.js';
import { ADMIN_OUTBOX_DONE, ADMIN_OUTBOX_PATH, ADMIN_OUTBOX_TITLE, adminOutboxBody, OUTBOX_PAGE_SIZE } from './outbox-admin.views.js';

const ACCESS = { access: 'outbox:manage' } as const;

export const ADMIN_OUTBOX_NAV: NavEntry = { href: ADMIN_OUTBOX_PATH, label: 'Outbox', access: 'outbox:manage', admin: true };

const ID_RULE = 'There is no such message: a message id is a positive whole number.';
const idParams = z.object({ id: z.coerce.number({ error: ID_RULE }).int({ error: ID_RULE }).positive({ error: ID_RULE }).max(Number.MAX_SAFE_INTEGER, { error: ID_RULE }) });
const listQuery = z.object({
  status: z
    .union([z.literal(''), z.enum(OUTBOX_STATUSES as [OutboxStatus, ...OutboxStatus[]])], { error: `Show one of: ${OUTBOX_STATUSES.join(', ')}, or all.` })
    .optional(),
  before: z.coerce.number({ error: ID_RULE }).int({ error: ID_RULE }).positive({ error: ID_RULE }).max(Number.MAX_SAFE_INTEGER, { error: ID_RULE }).optional(),
  done: z.string().optional(),
});
const actionForm = z.object({ csrf_token: z.string().optional() });

export interface OutboxAdminOptions {
  readonly db: Kysely<Database>;
  /** Whether SMTP_URL is set: the page says so when it is not. */
  readonly smtpConfigured: boolean;
}

/**
 * The outbox for admins (outbox:manage): the messages by status, the
 * worker's heartbeat, retry and cancel. Every action is audited in its
 * transaction; a refusal (sent already, being sent) shows the page again
 * with the reason.
 */
export const outboxAdminRoutes: FastifyPluginAsyncZod<OutboxAdminOptions> = async (app, { db, smtpConfigured }) => {
  async function show(request: FastifyRequest, reply: FastifyReply, status: number, query: { status?: OutboxStatus | undefined; before?: number | undefined }, notes: FlashMessage[]) {
    const now = Date.now();
    const [page, counts, heartbeat] = await Promise.all([
      listMessages(db, { status: query.status, limit: OUTBOX_PAGE_SIZE + 1, beforeId: query.before }, now),
      countByStatus(db),
      latestHeartbeat(db),
    ]);
    const messages = page.slice(0, OUTBOX_PAGE_SIZE);
    const olderThan = page.length > OUTBOX_PAGE_SIZE ? (messages.at(-1)?.id ?? null) : null;
    const body = adminOutboxBody({ messages, counts, status: query.status, smtpConfigured, heartbeat, csrfToken: reply.formToken(), now, olderThan });
    return reply.code(status).type(HTML).send(staffPage(request, reply, { title: ADMIN_OUTBOX_TITLE, body, flash: notes, current: ADMIN_OUTBOX_PATH }));
  }

  /** Runs an action in a transaction; its refusal (an AppError) shows the page again with the message. */
  async function act(request: FastifyRequest, reply: FastifyReply, done: keyof typeof ADMIN_OUTBOX_DONE, action: (trx: Queryable) => Promise<unknown>) {
    try {
      await db.transaction().execute((trx) => action(trx));
    } catch (error) {
      if (!(error instanceof AppError) || error.statusCode >= 500) throw error;
      return show(request, reply, error.statusCode, {}, [{ kind: 'error', text: error.message }]);
    }
    return reply.redirect(`${ADMIN_OUTBOX_PATH}?done=${done}`, 303);
  }

  app.get(ADMIN_OUTBOX_PATH, { config: ACCESS, schema: { querystring: listQuery } }, async (request, reply) => {
    const { status, before, done } = request.query;
    const notes: FlashMessage[] = done !== undefined && Object.hasOwn(ADMIN_OUTBOX_DONE, done) ? [{ kind: 'success', text: ADMIN_OUTBOX_DONE[done as keyof typeof ADMIN_OUTBOX_DONE] }] : [];
    return show(request, reply, 200, { status: status === '' ? undefined : status, before }, notes);
  });

  app.post(`${ADMIN_OUTBOX_PATH}/:id/retry`, { config: ACCESS, schema: { params: idParams, body: actionForm } }, async (request, reply) =>
    act(request, reply, 'retried', (trx) => retryMessage(trx, request.params.id, actorOf(request))),
  );
  app.post(`${ADMIN_OUTBOX_PATH}/:id/cancel`, { config: ACCESS, schema: { params: idParams, body: actionForm } }, async (request, reply) =>
    act(request, reply, 'cancelled', (trx) => cancelMessage(trx, request.params.id, actorOf(request))),
  );
  app.post(`${ADMIN_OUTBOX_PATH}/retry-all`, { config: ACCESS, schema: { body: actionForm } }, async (request, reply) =>
    act(request, reply, 'retried_all', (trx) => retryAll(trx, actorOf(request))),
  );
};
