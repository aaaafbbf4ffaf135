/** What a route gets from the scope it lives in: sign-in, CSRF, body types, error format, limits. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createHttpApp, type App } from '../../src/platform/http/http-app.js';
import { perMinute } from '../../src/platform/http/rate-limit.js';
import { apiScope, htmlScope, nobodyAllowed, PUBLIC, type Guard } from '../../src/platform/http/scopes.js';
import { AppError } from '../../src/shared/errors.js';
import { ROOT } from '../support/paths.js';

const bearerOnly: Guard = {
  authenticate: async (request) => {
    if (request.headers.authorization !== 'Bearer good') throw new AppError(401, 'TOKEN_REQUIRED', 'A valid bearer token is required.');
  },
  authorize: (_request, access) => {
    if (access === 'write') throw new AppError(403, 'FORBIDDEN', 'This token may only read.');
  },
  knows: (access) => access === 'read' || access === 'write',
};
const open = { config: { access: PUBLIC } };
const read = { config: { access: 'read' } };

/** The platform alone, with no module's routes. */
const bareApp = () =>
  createHttpApp({
    sessionSecret: 'route-scopes-test-secret-0123456789abcdef',
    bodyLimitBytes: 16_384,
    trustProxy: false,
    timeouts: { requestMs: 5000, headersMs: 5000, keepAliveMs: 5000, connectionMs: 5000 },
    maxConnections: 100,
    redis: null,
    publicDir: `${ROOT}/public`,
    apiPrefix: '/api/v1',
  });

async function platformApp(): Promise<App> {
  const app = await bareApp();
  const note = z.object({ text: z.string({ error: 'Please write a note.' }).min(1, { error: 'Please write a note.' }) });
  await app.register(htmlScope, {
    routes: [
      async (scope) => {
        scope.get('/form', open, async (_request, reply) => reply.type('text/html').send(`<input name="csrf_token" value="${reply.formToken()}">`));
        scope.withTypeProvider<ZodTypeProvider>().post('/notes', { ...open, schema: { body: note } }, async (request) => `saved ${request.body.text}`);
        scope.post('/limited', { config: { access: PUBLIC, rateLimit: perMinute(2) } }, async () => 'ok');
      },
    ],
  });
  await app.register(htmlScope, { routes: [async (scope) => scope.get('/staff/home', { config: { access: 'staff' } }, async () => 'secret')], guard: nobodyAllowed });
  await app.register(apiScope, {
    prefix: '/api/v1',
    guard: bearerOnly,
    routes: [
      async (scope) => {
        scope.withTypeProvider<ZodTypeProvider>().post('/notes', { ...read, schema: { body: note } }, async (request) => ({ saved: request.body.text }));
        scope.get('/limited', { config: { access: 'read', rateLimit: perMinute(1) } }, async () => ({ ok: true }));
        scope.get('/boom', read, async () => {
          throw new Error('secret internals');
        });
        scope.delete('/notes', { config: { access: 'write' } }, async () => ({ deleted: true }));
      },
    ],
  });
  await app.register(apiScope, { prefix: '/api/v2', routes: [], guard: nobodyAllowed });
  return app;
}

async function formSession(app: App): Promise<{ cookie: string; token: string }> {
  const page = await app.inject({ method: 'GET', url: '/form' });
  const token = /value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return { cookie: page.cookies.map((c) => `${c.name}=${c.value}`).join('; '), token };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

describe('route scopes', () => {
  let app: App;
  before(async () => {
    app = await platformApp();
  });
  after(async () => app?.close());

  test('a state change in an HTML scope without the form token is refused before the route runs', async () => {
    const { cookie } = await formSession(app);
    const reply = await app.inject({ method: 'POST', url: '/notes', headers: { 'content-type': FORM, cookie }, payload: form({ text: 'hi' }) });
    assert.equal(reply.statusCode, 403);
    assert.match(String(reply.headers['content-type']), /text\/html/);
    assert.doesNotMatch(reply.body, /saved/);
  });

  test('with the token the same post is accepted, and the page is marked no-store', async () => {
    const { cookie, token } = await formSession(app);
    const reply = await app.inject({ method: 'POST', url: '/notes', headers: { 'content-type': FORM, cookie }, payload: form({ text: 'hi', csrf_token: token }) });
    assert.equal(reply.statusCode, 200);
    assert.equal(reply.body, 'saved hi');
    assert.equal(reply.headers['cache-control'], 'no-store');
  });

  test("a form that fails the route's schema gets 400 with the schema's own message", async () => {
    const { cookie, token } = await formSession(app);
    const reply = await app.inject({ method: 'POST', url: '/notes', headers: { 'content-type': FORM, cookie }, payload: form({ text: '', csrf_token: token }) });
    assert.equal(reply.statusCode, 400);
    assert.match(reply.body, /Please write a note\./);
  });

  test('an HTML scope parses only form bodies: JSON and text get 415, never a coerced field', async () => {
    const { cookie, token } = await formSession(app);
    for (const [type, payload] of [
      ['application/json', JSON.stringify({ text: ['x'], csrf_token: token })],
      ['text/plain', form({ text: 'x', csrf_token: token })],
    ] as const) {
      const reply = await app.inject({ method: 'POST', url: '/notes', headers: { 'content-type': type, cookie }, payload });
      assert.equal(reply.statusCode, 415, type);
      assert.match(reply.body, /application\/x-www-form-urlencoded/);
    }
  });

  test('a staff page without a signed-in user gets 401 and a page saying to sign in', async () => {
    const reply = await app.inject({ method: 'GET', url: '/staff/home' });
    assert.equal(reply.statusCode, 401);
    assert.match(reply.body, /Please sign in/);
    assert.doesNotMatch(reply.body, /secret/);
  });

  test('the API needs a bearer token and answers problem+json without cookies or CSRF', async () => {
    const refused = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { 'content-type': 'application/json' }, payload: '{"text":"hi"}' });
    assert.equal(refused.statusCode, 401);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.equal(refused.json<{ status: number }>().status, 401);

    const accepted = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { 'content-type': 'application/json', authorization: 'Bearer good' }, payload: '{"text":"hi"}' });
    assert.equal(accepted.statusCode, 200);
    assert.deepEqual(accepted.json(), { saved: 'hi' });
    assert.equal(accepted.headers['set-cookie'], undefined);
  });

  test('the API refuses form bodies with 415 and invalid JSON with 400, both as problem+json', async () => {
    const headers = { authorization: 'Bearer good' };
    const asForm = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { ...headers, 'content-type': FORM }, payload: 'text=hi' });
    assert.equal(asForm.statusCode, 415);
    assert.match(asForm.json<{ detail: string }>().detail, /application\/json/);
    const broken = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"text":' });
    assert.equal(broken.statusCode, 400);
    assert.match(String(broken.headers['content-type']), /problem\+json/);
    const invalid = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { ...headers, 'content-type': 'application/json' }, payload: '{"text":""}' });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json<{ detail: string }>().detail, 'Please write a note.');
  });

  test('an unknown API path is a problem+json 404; an unknown page is an HTML 404', async () => {
    const api = await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: { authorization: 'Bearer good' } });
    assert.equal(api.statusCode, 404);
    assert.match(String(api.headers['content-type']), /problem\+json/);
    const page = await app.inject({ method: 'GET', url: '/nothing' });
    assert.equal(page.statusCode, 404);
    assert.match(String(page.headers['content-type']), /text\/html/);
  });

  test('a bug in an API route is a generic problem+json 500 that reveals nothing', async () => {
    const reply = await app.inject({ method: 'GET', url: '/api/v1/boom', headers: { authorization: 'Bearer good' } });
    assert.equal(reply.statusCode, 500);
    assert.doesNotMatch(reply.body, /secret internals/);
    assert.match(String(reply.headers['content-type']), /problem\+json/);
  });

  test('a route over its declared limit gets 429 with Retry-After, rendered by its scope', async () => {
    const { cookie, token } = await formSession(app);
    const post = () => app.inject({ method: 'POST', url: '/limited', headers: { 'content-type': FORM, cookie }, payload: form({ csrf_token: token }) });
    assert.equal((await post()).statusCode, 200);
    assert.equal((await post()).statusCode, 200);
    const page = await post();
    assert.equal(page.statusCode, 429);
    assert.match(String(page.headers['retry-after']), /^[1-9]\d*$/);
    assert.match(page.body, /Please wait \d+ seconds? and try again/);
    assert.match(String(page.headers['content-type']), /text\/html/);

    const headers = { authorization: 'Bearer good' };
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/limited', headers })).statusCode, 200);
    const problem = await app.inject({ method: 'GET', url: '/api/v1/limited', headers });
    assert.equal(problem.statusCode, 429);
    assert.ok(problem.headers['retry-after']);
    assert.match(String(problem.headers['content-type']), /problem\+json/);
  });

  test('a malformed URL gets the app’s headers, request id and error page (HTML, or problem+json under the API)', async () => {
    const page = await app.inject({ method: 'GET', url: '/%E0%A4%A' });
    assert.equal(page.statusCode, 400);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.match(String(page.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const api = await app.inject({ method: 'GET', url: '/api/v1/%' });
    assert.equal(api.statusCode, 400);
    assert.match(String(api.headers['content-type']), /problem\+json/);
  });

  test('a route the scope’s guard forbids gets 403 before its handler runs', async () => {
    const reply = await app.inject({ method: 'DELETE', url: '/api/v1/notes', headers: { authorization: 'Bearer good' } });
    assert.equal(reply.statusCode, 403);
    assert.match(String(reply.headers['content-type']), /application\/problem\+json/);
    assert.doesNotMatch(reply.body, /deleted/);
  });

  test('frames are denied by both CSP and X-Frame-Options', async () => {
    const reply = await app.inject({ method: 'GET', url: '/form' });
    assert.match(String(reply.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(reply.headers['x-frame-options'], 'DENY');
  });
});

describe('a route must say who may use it', () => {
  async function appWith(register: (app: App) => PromiseLike<unknown>): Promise<App> {
    const app = await bareApp();
    await register(app);
    return app;
  }

  test('a route without config.access does not register', async () => {
    await assert.rejects(
      appWith((app) => app.register(htmlScope, { routes: [async (scope) => scope.get('/anything', async () => 'x')] })),
      /GET \/anything declares no config.access/,
    );
  });

  test('a public scope refuses a route that asks for a permission, and a guarded scope one it does not know', async () => {
    await assert.rejects(
      appWith((app) => app.register(htmlScope, { routes: [async (scope) => scope.get('/x', read, async () => 'x')] })),
      /is in a public scope but declares access "read"/,
    );
    await assert.rejects(
      appWith((app) => app.register(apiScope, { prefix: '/api/v1', guard: bearerOnly, routes: [async (scope) => scope.get('/x', open, async () => 'x')] })),
      /declares access "public", which its guard does not know/,
    );
  });
});
