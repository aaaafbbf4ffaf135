import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorHandler, notFoundHandler, renderHtmlError, renderHtmlErrorIn, renderProblem } from './error-rendering.js';
import { registerRateLimits } from './rate-limit.js';
import { RequestLogController } from './request-log.js';
import { applySecurityHeaders, registerSecurity } from './security.js';
import type { StaffShell } from '../views/staff-page.js';
import { validatorCompiler } from './text-hygiene.js';
import { holdRequestsUntilOpen, type StartupGate } from './startup-gate.js';
import { tlsOptions } from './tls.js';

/** The app's one type: an HTTPS server whose routes are typed by their zod schemas. */
export type App = FastifyInstance<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface HttpOptions {
  readonly logger?: Logger;
  /** Key and certificate; without them the app is built for inject() only. */
  readonly tls?: { readonly key: Buffer; readonly cert: Buffer };
  readonly sessionSecret: string;
  readonly bodyLimitBytes: number;
  readonly trustProxy: false | number | readonly string[];
  readonly timeouts: { readonly requestMs: number; readonly headersMs: number; readonly keepAliveMs: number; readonly connectionMs: number };
  readonly maxConnections: number;
  readonly redis: Redis | null;
  readonly publicDir: string;
  /** Paths under this prefix answer framework errors as problem+json. */
  readonly apiPrefix: string;
  /**
   * For a page nobody registered: the staff shell to show the 404 in when the
   * visitor is signed in (so they keep their navigation), or null.
   */
  readonly notFoundShell?: (request: FastifyRequest) => Promise<StaffShell | null>;
  /** Shut while the process starts (server.ts): every request but the probes' (`probePaths`) is a 503 until it opens. */
  readonly startup?: { readonly gate: StartupGate; readonly probePaths: readonly string[] };
}

/** A hop count trusts that many proxies nearest to us; a list trusts those addresses. */
function trustProxySetting(trust: HttpOptions['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === false) return false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return [...trust];
}

/**
 * A request the router never saw (a malformed URL) still gets the app's
 * headers, request id, log line and error page, like any other.
 */
function frameworkErrorHandler(apiPrefix: string) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    applySecurityHeaders(reply);
    reply.header('x-request-id', request.id);
    void errorHandler(request.url.startsWith(apiPrefix) ? renderProblem : renderHtmlError)(error, request, reply);
  };
}

/**
 * How long a refused connection stays after its answer: long enough for a
 * client that reads to see it (closing with its unread bytes pending would
 * reset the connection and could lose the answer), short enough that a client
 * that never reads and keeps sending cannot hold the socket.
 */
const REFUSAL_LINGER_MS = 1000;

/**
 * A request so broken it never became one (bad request line, headers too
 * large or too slow): a short 4xx written to the socket, which is half-closed
 * and then destroyed. Fastify's default would answer in JSON without our headers.
 */
function clientErrorHandler(logger: Logger | undefined) {
  return (error: Error & { code?: string }, socket: Socket) => {
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    logger?.info({ code: error.code ?? 'CLIENT_ERROR' }, timedOut ? 'request not received in time' : 'malformed request refused');
    if (!socket.writable) return socket.destroy();
    const status = timedOut ? '408 Request Timeout' : '400 Bad Request';
    const body = timedOut ? 'The request was not received in time.\n' : 'The request is malformed.\n';
    socket.end(
      `HTTP/1.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-content-type-options: nosniff\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`,
    );
    setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
  };
}

/** One registered route and who may use it (see scopes.ts). */
export interface RouteSummary {
  readonly method: string;
  readonly url: string;
  readonly access: string | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the app has registered (HEAD twins left out): for the authorization matrix and operators. */
    readonly routeSummaries: readonly RouteSummary[];
  }
}

function recordRoutes(app: FastifyInstance): void {
  const routes: RouteSummary[] = [];
  app.decorate('routeSummaries', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, access: route.config?.access });
  });
}

/** The 404 page for a path no route has: in the staff layout for a signed-in visitor, with only the brand otherwise. */
function notFoundPage(shellFor: HttpOptions['notFoundShell']) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    let shell: StaffShell | null = null;
    try {
      shell = shellFor ? await shellFor(request) : null;
    } catch (error) {
      // Who the visitor is only decides the layout: the 404 is shown anyway.
      request.log.warn({ err: error }, 'could not recognize the visitor of a missing page');
    }
    return notFoundHandler(renderHtmlErrorIn(shell))(request, reply);
  };
}

/**
 * The feature-free part of every app: server limits and timeouts, schema
 * compilers, security headers, cookies and CSRF, rate limits, static files,
 * request logs, and HTML error pages as the default. Scopes come on top.
 */
export async function createHttpApp(options: HttpOptions): Promise<App> {
  const { timeouts } = options;
  const app = Fastify<HttpsServer, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new RequestLogController(),
    genReqId: () => randomUUID(),
    bodyLimit: options.bodyLimitBytes,
    return503OnClosing: true,
    trustProxy: trustProxySetting(options.trustProxy),
    // Time to receive a whole request, idle sockets and keep-alive: a slow sender cannot hold a socket.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    https: options.tls
      ? {
          ...tlsOptions(options.tls, timeouts.headersMs),
          headersTimeout: timeouts.headersMs,
          // Node checks the two timeouts above only this often (default 30 s).
          connectionsCheckingInterval: 1000,
        }
      : null,
    frameworkErrors: frameworkErrorHandler(options.apiPrefix),
    clientErrorHandler: clientErrorHandler(options.logger),
  }).withTypeProvider<ZodTypeProvider>();
  app.server.maxConnections = options.maxConnections;
  // Node answers an Expect header other than 100-continue itself, with a bare 417; answer it like any refusal.
  app.server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    applySecurityHeaders(response);
    const body = 'The Expect header of this request is not supported; send it without one (or with Expect: 100-continue).\n';
    response.writeHead(417, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', connection: 'close' }).end(body);
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(renderHtmlError));
  app.setNotFoundHandler(notFoundPage(options.notFoundShell));
  recordRoutes(app);
  if (options.startup) holdRequestsUntilOpen(app, options.startup.gate, options.startup.probePaths);
  await registerSecurity(app, options.sessionSecret);
  await registerRateLimits(app, { redis: options.redis, logger: options.logger ?? silentLogger });
  await app.register(fastifyStatic, { root: options.publicDir, prefix: '/static/', maxAge: '1h', index: false });
  return app;
}

const silentLogger = (await import('pino')).pino({ level: 'silent' });
