import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../schema.js';
import { requireSameOrigin } from '../../platform/http/same-origin.js';
import { ACCTID_PROBLEMS, normalizeAcctId } from './account.js';
import { findAccount } from './account.repository.js';
import { lookupPage, type LookupOutcome } from './lookup.views.js';

interface LookupForm {
  acctid: string;
  csrf_token?: string;
}

const lookupFormSchema = {
  type: 'object',
  required: ['acctid'],
  properties: {
    acctid: { type: 'string' },
    csrf_token: { type: 'string' },
  },
} as const;

const HTML = 'text/html; charset=utf-8';

export async function accountRoutes(app: FastifyInstance, { db }: { db: Kysely<Database> }): Promise<void> {
  app.get('/', async (_request, reply) => {
    return reply.type(HTML).send(lookupPage({ csrfToken: reply.generateCsrf() }));
  });

  app.post<{ Body: LookupForm }>(
    '/',
    {
      // Origin first, then the token bound to this visitor's cookie; both before the body is validated or used.
      preValidation: [requireSameOrigin, (request, reply, done) => app.csrfProtection(request, reply, done)],
      schema: { body: lookupFormSchema },
    },
    async (request, reply) => {
      const typed = request.body.acctid;
      const check = normalizeAcctId(typed);
      let outcome: LookupOutcome;
      if (!check.ok) {
        outcome = { kind: 'problem', message: ACCTID_PROBLEMS[check.reason] };
        reply.code(400);
      } else {
        const account = await findAccount(db, check.acctid);
        outcome = account ? { kind: 'found', account } : { kind: 'unknown' };
      }
      const shownId = typed.length > 100 ? '' : typed;
      // The posted token has just been verified for this cookie and stays valid: reuse it for the next lookup.
      const csrfToken = request.body.csrf_token ?? reply.generateCsrf();
      return reply.type(HTML).send(lookupPage({ csrfToken, acctid: shownId, outcome }));
    },
  );
}
