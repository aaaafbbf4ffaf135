import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { idempotencyHeaders, idempotencyKeyOf, markReplayed } from '../../platform/http/idempotency-key.js';
import type { RequestReads } from '../../platform/http/read-routing.js';
import type { Database } from '../../schema.js';
import { actorOf, ownKey } from '../staff/index.js';
import { accountChanges, newAccountFields } from './account-fields.js';
import { strictObjectErrors } from '../../platform/http/strict-object-errors.js';
import { accountJson, acctidParams, toAccountJson } from './account.json.js';
import { accountPath, prefixOf } from './account-path.js';
import { accountSearchQuery, SCAN_ROWS, searchAccounts, type AccountSearch } from './account-search.js';
import { requireAccount } from './account.repository.js';
import { setAccountClosed, updateAccount } from './accounts.service.js';
import { createAccountUseCase } from './create-account.use-case.js';

/** The same fields and rules as the form, refusing unknown fields by name. */
const newAccountBody = z.strictObject(newAccountFields.shape, { error: strictObjectErrors('field', Object.keys(newAccountFields.shape)) });

const CHANGEABLE = Object.keys(accountChanges.shape);
const accountChangesBody = z
  .strictObject(accountChanges.shape, { error: strictObjectErrors('field', CHANGEABLE) })
  .refine((changes) => Object.values(changes).some((value) => value !== undefined), { error: `Send at least one field to change: ${CHANGEABLE.join(', ')}.` });

/** The page's query, naming unknown parameters in its refusal. */
const searchQuery = z.strictObject(accountSearchQuery.shape, { error: strictObjectErrors('query parameter', Object.keys(accountSearchQuery.shape)) });

const accountPage = z.object({
  accounts: z.array(accountJson),
  /** The next page with the same query, or null after the last. */
  next: z
    .string()
    .nullable()
    .describe(
      `The path of the next page (same query, with its cursor), or null after the last. A page can hold fewer than limit accounts, even none, and still have a next: a search whose filter or further words reject most of what it reads stops after ${SCAN_ROWS} index rows and carries on from there.`,
    ),
});

/** The query of the next page: the search as given (defaults filled in), with where to continue. */
function nextPageQuery(search: AccountSearch, cursor: string): string {
  const params = new URLSearchParams();
  if (search.q !== undefined && search.q !== '') params.set('q', search.q);
  params.set('filter', search.filter);
  params.set('sort', search.sort);
  params.set('dir', search.dir);
  params.set('limit', String(search.limit));
  params.set('cursor', cursor);
  return params.toString();
}

/**
 * The accounts for scripts (accounts:read to list and read, accounts:write to
 * change): list with the page's search, filters, sort and keyset pages;
 * create (Idempotency-Key honoured), read, edit, close and reopen. Money in
 * integer cents beside the formatted amount (account.json.ts).
 */
export const accountsApiRoutes: FastifyPluginAsyncZod<{ readonly db: Kysely<Database>; readonly reads: RequestReads<Database> }> = async (app, { db, reads }) => {
  const createAccountOnce = createAccountUseCase({ db });

  app.get(
    '/accounts',
    {
      config: { access: 'accounts:read' },
      schema: { summary: 'List and search accounts', operationId: 'listAccounts', querystring: searchQuery, response: { 200: accountPage } },
    },
    async (request) => {
      const { accounts, nextCursor } = await searchAccounts(await reads(request), request.query);
      return {
        accounts: accounts.map(toAccountJson),
        next: nextCursor === null ? null : `${request.routeOptions.url ?? ''}?${nextPageQuery(request.query, nextCursor)}`,
      };
    },
  );

  app.post(
    '/accounts',
    {
      config: { access: 'accounts:write' },
      schema: {
        summary: 'Create an account',
        operationId: 'createAccount',
        description: 'Honours an Idempotency-Key header: a retry with the same key and body gets the first answer again (with Idempotent-Replayed: true).',
        headers: idempotencyHeaders,
        body: newAccountBody,
        response: { 201: accountJson },
      },
    },
    async (request, reply) => {
      const { value: account, replayed } = await createAccountOnce({
        actor: actorOf(request),
        account: request.body,
        once: ownKey(request, idempotencyKeyOf(request)),
      });
      markReplayed(reply, replayed);
      return reply.code(201).header('location', accountPath(account.acctid, prefixOf(request.routeOptions.url))).send(toAccountJson(account));
    },
  );

  app.get(
    '/accounts/:acctid',
    { config: { access: 'accounts:read' }, schema: { summary: 'Read an account', operationId: 'getAccount', params: acctidParams, response: { 200: accountJson } } },
    async (request) => toAccountJson(await requireAccount(db, request.params.acctid)),
  );

  app.patch(
    '/accounts/:acctid',
    {
      config: { access: 'accounts:write' },
      schema: {
        summary: "Change an account's name, email, phone, notes, payment terms or reminders",
        operationId: 'updateAccount',
        description: 'Send only the fields to change. New terms_days apply to invoices recorded afterwards; recorded invoices keep their due dates.',
        params: acctidParams,
        body: accountChangesBody,
        response: { 200: accountJson },
      },
    },
    async (request) => {
      const { acctid } = request.params;
      const changes = request.body;
      return toAccountJson(await db.transaction().execute((trx) => updateAccount(trx, actorOf(request), acctid, changes)));
    },
  );

  for (const [action, closed] of [
    ['close', true],
    ['reopen', false],
  ] as const) {
    app.post(
      `/accounts/:acctid/${action}`,
      {
        config: { access: 'accounts:write' },
        schema: {
          summary: closed ? 'Close an account (it keeps its history, takes payments and refuses charges)' : 'Reopen a closed account',
          operationId: closed ? 'closeAccount' : 'reopenAccount',
          description: `409 when the account is already ${closed ? 'closed' : 'open'}.`,
          params: acctidParams,
          response: { 200: accountJson },
        },
      },
      async (request) => {
        const { acctid } = request.params;
        return toAccountJson(await db.transaction().execute((trx) => setAccountClosed(trx, actorOf(request), acctid, closed)));
      },
    );
  }
};
