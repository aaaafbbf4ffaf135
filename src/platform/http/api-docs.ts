import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { PUBLIC } from './scopes.js';
import { securityHeaders } from './security-headers.js';

/** The OpenAPI document, and the browsable docs that render it. */
export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/** What Swagger UI fetches first: its settings, which point it at OPENAPI_PATH (@fastify/swagger-ui itself always names its own copy, `./json`). */
const DOCS_CONFIG_PATH = `${DOCS_PATH}/config.json`;

export interface ApiDocsOptions {
  /** Only routes under this prefix are documented. */
  readonly apiPrefix: string;
  readonly title: string;
  readonly version: string;
  /** Under which terms the API may be used: a name and an SPDX identifier (OpenAPI 3.1 `info.license`). */
  readonly license: { readonly name: string; readonly identifier: string };
}

const BEARER_SCHEME = 'bearerToken';

/**
 * The docs page's policy: the app's (security.ts), except that scripts and
 * fetches may come from this origin and images may also be data: URIs
 * (swagger-ui.css draws its icons so). Still nothing inline, nothing from
 * elsewhere. Only swagger-ui's own routes send it.
 */
const DOCS_CSP = securityHeaders({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
      upgradeInsecureRequests: [],
    },
  },
})['content-security-policy'] as string;

/** swagger-ui's own files change only with the package, and the theme below only with the app: cached like the app's /static/ files. */
const UI_FILES_CACHE = 'public, max-age=3600';

/**
 * Swagger UI's colours that fail WCAG 2.1 AA contrast (4.5:1 for its small
 * text), made darker in the same hue: white on the method badges (GET
 * #61affe, POST #49cc90, PUT #fca130, DELETE #f93e3e, PATCH #50e3c2), on the
 * version stamps and on "Execute"; the document's link; "Authorize" (green on
 * white); "Cancel" (#ff6060); "Expand all" (#afaeae on #efefef); and where a
 * parameter goes (grey on the operation's tint). Each pair below is 5:1 or
 * more. The servers menu is hidden: its one entry is this origin, so there is
 * nothing to choose, and its select has no accessible name. Swagger UI has one colour scheme here (its dark mode is a class it
 * never sets), so these hold in the browser's light and dark preference
 * alike. Served as a file (GET /api/docs/static/theme/contrast.css): the CSP
 * allows no inline style.
 */
const THEME_CSS = `
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #016ad4; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #227b52; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #a25b02; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #da0707; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #137a63; }
.swagger-ui .info .title small { background: #656c79; }
.swagger-ui .info .title small.version-stamp { background-color: #557702; }
.swagger-ui .info a { color: #1f69c0; }
.swagger-ui .btn.authorize { border-color: #227b52; color: #227b52; }
.swagger-ui .btn.authorize svg { color: #227b52; fill: #227b52; }
.swagger-ui .btn.execute { background-color: #1f69c0; border-color: #1f69c0; }
.swagger-ui .btn.cancel { border-color: #da0707; color: #da0707; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #505050; }
.swagger-ui .parameter__extension, .swagger-ui .parameter__in { color: #595959; }
.swagger-ui .servers-title, .swagger-ui .servers { display: none; }
`;

/**
 * @fastify/swagger-ui's index.html has no <meta name="viewport"> and no
 * option to add markup to its <head> (its theme adds only stylesheet, icon
 * and script links), so a phone would lay the page out 980 px wide and zoom
 * out. This script, served as a file like the stylesheet, adds the tag as the
 * page loads.
 */
const THEME_JS = `(() => {
  const viewport = document.createElement('meta');
  viewport.name = 'viewport';
  viewport.content = 'width=device-width, initial-scale=1';
  document.head.append(viewport);
})();
`;

/** RFC 9457, as error-rendering.ts renderProblem writes it. */
const PROBLEM: OpenAPIV3_1.SchemaObject = {
  type: 'object',
  description: 'An RFC 9457 problem: every API error, sent as application/problem+json.',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance'],
  properties: {
    type: { type: 'string', description: 'Always about:blank: `code` says which error it is.' },
    title: { type: 'string', description: 'The short name of the status, e.g. "Too many requests".' },
    status: { type: 'integer', description: 'The HTTP status code.' },
    detail: { type: 'string', description: 'What went wrong, for a person.' },
    code: { type: 'string', description: 'A stable machine-readable code, e.g. TOKEN_REQUIRED, TOKEN_INVALID, FORBIDDEN, RATE_LIMITED, NOT_FOUND.' },
    instance: { type: 'string', description: 'The request id (also in the x-request-id header and the server log).' },
    errors: {
      type: 'array',
      description: 'For refused input: each field (a name, or a JSON pointer into the body) and what is wrong with it.',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const problemResponse = (description: string, headers?: Record<string, OpenAPIV3_1.HeaderObject>): OpenAPIV3_1.ResponseObject => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The errors every API operation can answer, by the status each has (`default`: any other). */
const PROBLEM_RESPONSES: Record<string, OpenAPIV3_1.ResponseObject> = {
  BadRequest: problemResponse('A parameter or the body does not match the schema; `errors` lists each field.'),
  Unauthorized: problemResponse('No bearer token, or one that is unknown, revoked or expired, or whose owner is disabled.', {
    'WWW-Authenticate': { description: 'Bearer realm="globomantics-crm", with error="invalid_token" for a bad token.', schema: { type: 'string' } },
  }),
  Forbidden: problemResponse("The token owner's role does not allow this operation."),
  TooManyRequests: problemResponse('Too many requests in a minute with this token (API_RATE_LIMIT) or from its owner, all their tokens together (API_USER_RATE_LIMIT).', {
    'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
  }),
  Problem: problemResponse('Any other error (404, 406, 415, 503 while the database is unavailable, 500, …).'),
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An API route's own refusals beyond the common ones, by status: what each means, for its OpenAPI responses. */
    problems?: Readonly<Record<string, string>>;
    /** Media types a route answers besides its JSON schema's (a PDF), by status, each with what it is: documented as a binary string. */
    alsoAnswers?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  }
}

/** Each documented operation's own problems (config.problems), by operationId. */
type OwnProblems = ReadonlyMap<string, Readonly<Record<string, string>>>;
/** Each documented operation's other media types (config.alsoAnswers), by operationId. */
type OtherMediaTypes = ReadonlyMap<string, Readonly<Record<string, Readonly<Record<string, string>>>>>;

/** Adds each other media type to the operation's response of that status, described, as bytes (OpenAPI 3.1: a string with contentMediaType). */
function withOtherMediaTypes(operation: OpenAPIV3_1.OperationObject, other: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined): void {
  for (const [status, types] of Object.entries(other ?? {})) {
    const response = operation.responses?.[status];
    if (!response || '$ref' in response) continue;
    for (const [type, description] of Object.entries(types)) {
      response.content = { ...response.content, [type]: { schema: { type: 'string', contentMediaType: type } } };
      response.description = response.description === 'Default Response' ? `JSON, or as ${type}: ${description}` : `${response.description} As ${type}: ${description}`;
    }
  }
}

/** Adds the error responses to each operation (keeping any the route declares itself), the Problem schema and the bearer scheme. */
function withProblems(document: Partial<OpenAPIV3_1.Document>, ownProblems: OwnProblems, otherMediaTypes: OtherMediaTypes): Partial<OpenAPIV3_1.Document> {
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = pathItem?.[method];
      if (!operation) continue;
      withOtherMediaTypes(operation, operation.operationId === undefined ? undefined : otherMediaTypes.get(operation.operationId));
      const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
      const refs = Object.entries({
        ...(takesInput ? { '400': 'BadRequest' } : {}),
        '401': 'Unauthorized',
        '403': 'Forbidden',
        '429': 'TooManyRequests',
        default: 'Problem',
      }).map(([status, name]) => [status, { $ref: `#/components/responses/${name}` }] as const);
      const own = Object.entries((operation.operationId && ownProblems.get(operation.operationId)) || {}).map(([status, description]) => [status, problemResponse(description) as NonNullable<typeof operation.responses>[string]] as const);
      // The route's own responses win; status codes keep their numeric order, `default` last.
      operation.responses = { ...Object.fromEntries(refs), ...Object.fromEntries(own), ...operation.responses };
    }
  }
  return {
    ...document,
    components: {
      ...document.components,
      schemas: { ...document.components?.schemas, Problem: PROBLEM },
      responses: { ...document.components?.responses, ...PROBLEM_RESPONSES },
    },
  };
}

/**
 * GET /api/openapi.json, the OpenAPI 3.1 document of the routes under
 * `apiPrefix` made from their zod schemas, and GET /api/docs, swagger-ui
 * served from this app's own files. Both are public: they describe the API and
 * carry no data. Register before any route: @fastify/swagger collects routes
 * as they are added. Outside every scope, so they get the app's security
 * headers from the root hooks, plus `cache-control` and (for the UI) a CSP
 * that lets its scripts run.
 */
export async function registerApiDocs(app: FastifyInstance, { apiPrefix, title, version, license }: ApiDocsOptions): Promise<void> {
  const isApiRoute = (url: string) => url === apiPrefix || url.startsWith(`${apiPrefix}/`);
  const zodTransform = createJsonSchemaTransform({ skipList: [] });
  const zodComponents = createJsonSchemaTransformObject({});
  const ownProblems = new Map<string, Readonly<Record<string, string>>>();
  const otherMediaTypes = new Map<string, Readonly<Record<string, Readonly<Record<string, string>>>>>();

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.1',
      info: {
        title,
        version,
        description:
          `The JSON API of Globomantics CRM, under ${apiPrefix}. Every request carries \`Authorization: Bearer crm_…\`: a token a staff user ` +
          "creates on their page (/me) or an operator with `crm tokens create`; it acts with its owner's role. Errors are RFC 9457 " +
          '`application/problem+json`.',
        license,
      },
      // Relative to the document: the origin that serves it, so "Try it out" calls the server the reader is on.
      servers: [{ url: '/', description: 'The server that serves this document' }],
      components: {
        securitySchemes: {
          [BEARER_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'crm_…', description: 'An API token: `Authorization: Bearer crm_…`.' },
        },
      },
      security: [{ [BEARER_SCHEME]: [] }],
    },
    // HTML pages, health, static files and these docs are not part of the API.
    transform: (input) => {
      if (!isApiRoute(input.url)) return { schema: { hide: true }, url: input.url };
      const { operationId } = input.schema as { operationId?: unknown };
      const problems = input.route.config?.problems;
      if (typeof operationId === 'string' && problems) ownProblems.set(operationId, problems);
      const alsoAnswers = input.route.config?.alsoAnswers;
      if (typeof operationId === 'string' && alsoAnswers) otherMediaTypes.set(operationId, alsoAnswers);
      return zodTransform(input);
    },
    transformObject: (input) => withProblems(zodComponents(input) as Partial<OpenAPIV3_1.Document>, ownProblems, otherMediaTypes),
  });

  await app.register(async (docs) => {
    docs.addHook('onRequest', (request, reply, done) => {
      reply.header('cache-control', 'no-store');
      // swagger-ui's own redirect of this name keeps the query, so with one it redirects to itself forever.
      // The page takes no query (no document of another site), so it is dropped.
      if (request.url.split('?')[0] === `${DOCS_PATH}/static/index.html`) return void reply.redirect(`${DOCS_PATH}/`);
      // One address for the document: swagger-ui's own copy sends readers to it.
      if (request.routeOptions.url === `${DOCS_PATH}/json`) return void reply.redirect(OPENAPI_PATH, 308);
      done();
    });
    docs.addHook('onSend', (request, reply, payload, done) => {
      const route = request.routeOptions.url ?? '';
      const uiFile = route === `${DOCS_PATH}/static/*` || route.startsWith(`${DOCS_PATH}/static/theme/`);
      if (uiFile && reply.statusCode < 400) reply.header('cache-control', UI_FILES_CACHE);
      done(null, payload);
    });

    docs.get(OPENAPI_PATH, { config: { access: PUBLIC } }, async (_request, reply) => reply.type('application/json; charset=utf-8').send(app.swagger()));
    docs.get(DOCS_CONFIG_PATH, { config: { access: PUBLIC } }, async () => ({ url: OPENAPI_PATH }));

    await docs.register(fastifySwaggerUi, {
      routePrefix: DOCS_PATH,
      staticCSP: DOCS_CSP,
      theme: { title, css: [{ filename: 'contrast.css', content: THEME_CSS }], js: [{ filename: 'viewport.js', content: THEME_JS }] },
      // Without the top bar: no field to load another site's document. Without deep links: they put a link inside each
      // operation's and tag's button (axe-core nested-interactive; swagger-api/swagger-ui#10395, #10704).
      // configUrl: settings fetched at start-up override the initializer's, so Swagger UI loads and links OPENAPI_PATH.
      uiConfig: { layout: 'BaseLayout', deepLinking: false, displayRequestDuration: true, configUrl: DOCS_CONFIG_PATH },
      validatorUrl: false,
    });
  });
}
