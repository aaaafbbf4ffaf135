import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from './principal.js';

const me = z.object({ username: z.string(), role: z.string() });

/** The API's view of the caller: who the token acts as. */
export const staffApiRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/me', { config: { access: 'self' }, schema: { summary: 'Who the token acts as: its user name and role', operationId: 'getCurrentUser', response: { 200: me } } }, async (request) => {
    const { username, role } = principalOf(request);
    return { username, role };
  });
};
