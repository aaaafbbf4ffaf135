import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { perMinute } from '../../platform/http/rate-limit.js';
import type { Database } from '../../schema.js';
import { ACCTID_PROBLEMS, normalizeAcctId } from './account.js';
import { findAccount } from './account.repository.js';
import { LOOKUP_TITLE, lookupBody, lookupPage, type LookupOutcome, type LookupView } from './lookup.views.js';
import { HTML, staffPage, type NavEntry } from '../../platform/views/staff-page.js';

/** The form's fields; its messages are what a visitor sees when the form is malformed. */
const lookupForm = z.object(
  {
    acctid: z.string({ error: 'Please enter one account ID.' }),
    csrf_token: z.string({ error: 'The form’s security token is malformed. Reload the page and try again.' }).optional(),
  },
  { error: 'Please fill in the form: enter one account ID.' },
);

export interface LookupRoutesOptions {
  readonly db: Kysely<Database>;
  /** Lookups per minute per client address (against id enumeration); 0 = no limit. */
  readonly lookupsPerMinute: number;
  /** PUBLIC in the public scope; a permission when the lookup is for signed-in staff only (then in the staff layout). */
  readonly access: string;
}


/** The staff navigation's link to these pages. */
export const LOOKUP_NAV: NavEntry = { href: '/', label: 'Balance lookup', access: 'self' };

/** The public balance lookup: GET shows the form, POST shows one account's balance. */
export const lookupRoutes: FastifyPluginAsyncZod<LookupRoutesOptions> = async (app, { db, lookupsPerMinute, access }) => {
  const render = (request: FastifyRequest, reply: FastifyReply, view: LookupView) =>
    reply.staffShell ? staffPage(request, reply, { title: LOOKUP_TITLE, body: lookupBody(view), current: LOOKUP_NAV.href }) : lookupPage(view);

  app.get('/', { config: { access } }, async (request, reply) => reply.type(HTML).send(render(request, reply, { csrfToken: reply.formToken() })));

  app.post('/', { schema: { body: lookupForm }, config: { access, rateLimit: perMinute(lookupsPerMinute) } }, async (request, reply) => {
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
    // The posted token was verified for this visitor's cookie before the handler ran.
    return reply.type(HTML).send(render(request, reply, { csrfToken: reply.formToken(request.body.csrf_token), acctid: shownId, outcome }));
  });
};
