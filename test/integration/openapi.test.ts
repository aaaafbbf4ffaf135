/**
 * The API's OpenAPI document (GET /api/openapi.json) and its browsable docs
 * (GET /api/docs): a valid OpenAPI 3.1 document made from the routes' zod
 * schemas that covers every /api/v1 route and nothing else, and a docs page
 * served from this app whose relaxed CSP stays on the docs' own routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Kysely } from 'kysely';
import { API_PREFIX, type App } from '../../src/app.js';
import type { Database } from '../../src/schema.js';
import { testApp } from '../support/app.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';
import { CLIENT_SOURCE, compileAgainstDocument, MISUSE_LINES, MISUSE_SOURCE } from '../support/typed-client.js';

interface Operation {
  readonly operationId?: string;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly responses: Readonly<Record<string, { readonly $ref?: string; readonly description?: string; readonly content?: Readonly<Record<string, { readonly schema?: unknown }>> }>>;
}
interface Document {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly components: {
    readonly securitySchemes: Readonly<Record<string, { readonly type: string; readonly scheme?: string }>>;
    readonly responses: Readonly<Record<string, { readonly content: Readonly<Record<string, unknown>> }>>;
  };
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
}

/** `/api/v1/users/:id/role` as OpenAPI writes it: `/api/v1/users/{id}/role`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/** Each operation's id, as a script's generated client names its method; changing one breaks those clients. */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  'GET /api/v1/me': 'getCurrentUser',
  'GET /api/v1/audit': 'listAuditEvents',
  'GET /api/v1/summary': 'getSummary',
  'GET /api/v1/accounts': 'listAccounts',
  'POST /api/v1/accounts': 'createAccount',
  'GET /api/v1/accounts/{acctid}': 'getAccount',
  'PATCH /api/v1/accounts/{acctid}': 'updateAccount',
  'POST /api/v1/accounts/{acctid}/close': 'closeAccount',
  'POST /api/v1/accounts/{acctid}/reopen': 'reopenAccount',
  'GET /api/v1/accounts/{acctid}/entries': 'listEntries',
  'POST /api/v1/accounts/{acctid}/entries': 'createEntry',
  'GET /api/v1/accounts/{acctid}/aging': 'getAccountAging',
  'GET /api/v1/aging': 'getAgingReport',
  'GET /api/v1/accounts/{acctid}/statement': 'getStatement',
};

/** Redocly's findings with its recommended rules, as "severity rule: message (where)". */
async function redoclyFindings(document: object): Promise<string[]> {
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
  return problems.map(({ severity, ruleId, message, location }) => `${severity} ${ruleId}: ${message} (${location[0]?.pointer ?? ''})`);
}

/** A CSP header as directive → sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name = '', ...sources]) => [name, sources]),
  );
}

describe('the OpenAPI document and the API docs', () => {
  let db: Kysely<Database>;
  let app: App;
  let document: Document;

  before(async () => {
    const opened = await openTestDatabase(TEST_DATABASES[0]!);
    db = opened.db!;
    app = await testApp(db);
    const reply = await app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(reply.statusCode, 200);
    document = reply.json<Document>();
  });
  after(async () => {
    await app?.close();
    await db?.destroy();
  });

  test('GET /api/openapi.json is an OpenAPI 3.1 document that validates against the 3.1 schema, every $ref resolving', async () => {
    assert.match(document.openapi, /^3\.1\.\d+$/);
    assert.equal(document.info.title, 'Globomantics CRM API');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    assert.deepEqual(result.errors, undefined, JSON.stringify(result.errors, null, 2));
    assert.equal(result.valid, true);
    assert.equal(validator.version, '3.1');
    assert.doesNotThrow(() => validator.resolveRefs());
  });

  test('every /api/v1 route appears in the document with its method, and no other route does', () => {
    const apiRoutes = app.routeSummaries.filter(({ url }) => url.startsWith(`${API_PREFIX}/`));
    assert.ok(apiRoutes.length > 0, 'the app has API routes');
    const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    const expected = apiRoutes.map(({ method, url }) => `${method} ${openApiPath(url)}`);
    assert.deepEqual(documented.sort(), expected.sort());
  });

  test('the API is documented as needing a bearer token, and its errors as RFC 9457 problem+json', () => {
    const schemes = Object.entries(document.components.securitySchemes).filter(([, scheme]) => scheme.type === 'http' && scheme.scheme === 'bearer');
    assert.equal(schemes.length, 1, 'one bearer scheme');
    const [bearer = ''] = schemes.map(([name]) => name);
    assert.deepEqual(document.security, [{ [bearer]: [] }]);
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        for (const status of ['401', '403', '429', 'default']) {
          const ref = operation.responses[status]?.$ref ?? '';
          const response = document.components.responses[ref.replace('#/components/responses/', '')];
          assert.ok(response, `${where} documents its ${status} response`);
          assert.deepEqual(Object.keys(response.content), ['application/problem+json'], `${where} ${status}`);
        }
      }
    }
  });

  test("the document passes Redocly's recommended rules with no error and no warning", async () => {
    assert.deepEqual(await redoclyFindings(document), []);
    // The rules are really on: a document without servers or an operationId is reported.
    const broken = structuredClone(document) as unknown as { servers?: unknown; paths: Record<string, Record<string, { operationId?: string }>> };
    delete broken.servers;
    const [operation] = Object.values(Object.values(broken.paths)[0] ?? {});
    delete operation?.operationId;
    const findings = await redoclyFindings(broken);
    assert.ok(findings.some((finding) => finding.startsWith('error no-empty-servers')), findings.join('\n'));
    assert.ok(findings.some((finding) => finding.startsWith('warn operation-operationId')), findings.join('\n'));
  });

  test("the entry POST documents its own refusals as problems: 404, 409 (closed) and 422 (an account's total past 2^53 − 1 cents)", () => {
    const post = document.paths['/api/v1/accounts/{acctid}/entries']?.post;
    assert.ok(post, 'POST /api/v1/accounts/{acctid}/entries is documented');
    for (const status of ['404', '409', '422']) assert.deepEqual(Object.keys(post.responses[status]?.content ?? {}), ['application/problem+json'], status);
    assert.match(post.responses['422']?.description ?? '', /ACCOUNT_TOTAL_LIMIT/);
    assert.match(post.responses['422']?.description ?? '', /9007199254740991/);
  });

  test('the statement is documented as JSON or, with Accept: application/pdf, a PDF; a period too long is its own 422 problem', () => {
    const get = document.paths['/api/v1/accounts/{acctid}/statement']?.get;
    assert.ok(get, 'GET /api/v1/accounts/{acctid}/statement is documented');
    assert.deepEqual(Object.keys(get.responses['200']?.content ?? {}), ['application/json', 'application/pdf']);
    assert.deepEqual(get.responses['200']?.content?.['application/pdf']?.schema, { type: 'string', contentMediaType: 'application/pdf' });
    assert.match(get.responses['200']?.description ?? '', /application\/pdf/);
    for (const status of ['404', '406', '422']) assert.deepEqual(Object.keys(get.responses[status]?.content ?? {}), ['application/problem+json'], status);
    assert.match(get.responses['422']?.description ?? '', /STATEMENT_TOO_LONG/);
  });

  test("the summary's sums say how cents past 2^53 are written: a *_cents_exact string of digits beside each *_cents", () => {
    const ok = document.paths['/api/v1/summary']?.get?.responses['200'];
    const exactFields = new Map<string, { type?: string; pattern?: string; description?: string }>();
    const collect = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key.endsWith('_cents_exact')) exactFields.set(key, value as { type?: string });
        collect(value);
      }
    };
    collect(ok?.content?.['application/json']?.schema);
    const aging = ['current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90', 'credit', 'total'];
    assert.deepEqual([...exactFields.keys()].sort(), ['balance', 'charges', 'net_receivables', 'payments', 'total_due', 'total_paid', ...aging].map((field) => `${field}_cents_exact`).sort());
    for (const [field, schema] of exactFields) {
      assert.equal(schema.type, 'string', field);
      assert.equal(schema.pattern, '^-?[0-9]+$', field);
      assert.match(schema.description ?? '', /2\^53/, field);
    }
  });

  test('every operation has its stable operationId', () => {
    const ids = Object.fromEntries(
      Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation.operationId])),
    );
    assert.deepEqual(ids, OPERATION_IDS);
  });

  test('a client typed by openapi-typescript from the document compiles, and the types refuse what the API refuses', async () => {
    const { problems } = await compileAgainstDocument(document, { 'client.ts': CLIENT_SOURCE, 'misuse.ts': MISUSE_SOURCE });
    assert.deepEqual(
      problems.filter((problem) => !problem.startsWith('misuse.ts:')),
      [],
      'the client compiles',
    );
    const misuseLines = problems.map((problem) => /^misuse\.ts:(\d+):/.exec(problem)?.[1]).filter((line) => line !== undefined).map(Number);
    assert.deepEqual([...new Set(misuseLines)], MISUSE_LINES, problems.join('\n'));
  });

  test('the document describes the API as it answers: an anonymous call gets the documented 401 problem', async () => {
    const reply = await app.inject({ method: 'GET', url: `${API_PREFIX}/me` });
    assert.equal(reply.statusCode, 401);
    assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
    assert.match(String(reply.headers['www-authenticate']), /^Bearer /);
  });

  test('GET /api/docs is public HTML that loads only same-origin scripts, allowed by its CSP and nothing inline', async () => {
    const reply = await app.inject({ method: 'GET', url: '/api/docs' });
    assert.equal(reply.statusCode, 200);
    assert.match(String(reply.headers['content-type']), /^text\/html/);
    assert.equal(reply.headers['cache-control'], 'no-store');
    assert.equal(reply.headers['x-frame-options'], 'DENY', 'the app security headers');

    const scripts = [...reply.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length > 0, 'the page has scripts');
    for (const [tag, attributes = '', inline = ''] of scripts) {
      assert.equal(inline.trim(), '', `no inline script: ${tag}`);
      const src = /\bsrc="([^"]+)"/.exec(attributes)?.[1] ?? '';
      assert.match(src, /^\/(?!\/)/, `a script from this origin: ${tag}`);
      const file = await app.inject({ method: 'GET', url: src });
      assert.equal(file.statusCode, 200, src);
      assert.match(String(file.headers['content-type']), /javascript/, src);
    }
    assert.doesNotMatch(reply.body, /\son\w+\s*=/i, 'no inline event handlers');
    assert.doesNotMatch(reply.body, /<style\b|\sstyle\s*=/i, 'no inline styles');

    const csp = directives(String(reply.headers['content-security-policy']));
    assert.deepEqual(csp.get('script-src'), ["'self'"]);
    assert.deepEqual(csp.get('style-src'), ["'self'"]);
    assert.deepEqual(csp.get('connect-src'), ["'self'"]);
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
  });

  test('the docs page renders from this app: its stylesheets are served here', async () => {
    const page = await app.inject({ method: 'GET', url: '/api/docs' });
    const sheets = [...page.body.matchAll(/<link rel="stylesheet"[^>]*href="([^"]+)"/g)].map(([, href = '']) => href);
    assert.ok(sheets.length > 0);
    for (const href of sheets) {
      assert.match(href, /^\/(?!\/)/);
      const sheet = await app.inject({ method: 'GET', url: href });
      assert.equal(sheet.statusCode, 200, href);
      assert.match(String(sheet.headers['cache-control']), /max-age=3600/, `${href} is cached like /static/`);
    }
  });

  test('the docs page loads and links the document at its one address, /api/openapi.json; swagger-ui\'s own copy sends readers there', async () => {
    const initializer = await app.inject({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' });
    const configUrl = /"configUrl":\s*"([^"]+)"/.exec(initializer.body)?.[1] ?? '';
    assert.match(configUrl, /^\/api\/docs\//, 'Swagger UI fetches its settings from the docs');
    const settings = await app.inject({ method: 'GET', url: configUrl });
    assert.equal(settings.statusCode, 200);
    assert.deepEqual(settings.json(), { url: '/api/openapi.json' });

    const ownCopy = await app.inject({ method: 'GET', url: '/api/docs/json' });
    assert.equal(ownCopy.statusCode, 308);
    assert.equal(ownCopy.headers.location, '/api/openapi.json');
  });

  test('the rest of the app keeps its script-free CSP: the relaxed one is only on the docs page', async () => {
    for (const url of ['/login', '/api/openapi.json', '/healthz', `${API_PREFIX}/me`, '/api/docs-not-here']) {
      const reply = await app.inject({ method: 'GET', url });
      assert.deepEqual(directives(String(reply.headers['content-security-policy'])).get('script-src'), ["'none'"], url);
    }
  });

  test('the docs page under its old static name redirects once to /api/docs/, whatever its query', async () => {
    for (const url of ['/api/docs/static/index.html', '/api/docs/static/index.html?url=x', '/api/docs/static/index.html?url=https://elsewhere.example/a.json']) {
      const reply = await app.inject({ method: 'GET', url });
      assert.equal(reply.statusCode, 302, url);
      assert.equal(reply.headers.location, '/api/docs/', url);
      const page = await app.inject({ method: 'GET', url: String(reply.headers.location) });
      assert.equal(page.statusCode, 200, url);
    }
  });
});
