import { createServer, type Server } from 'node:http';

/**
 * A plain-HTTP listener that serves nothing but a permanent redirect to the
 * same path over HTTPS, so a typed `http://` address still arrives. It reads
 * no body and keeps no connection open longer than the given timeouts.
 */
export function createRedirectServer({ httpsPort, timeoutMs }: { readonly httpsPort: number; readonly timeoutMs: number }): Server {
  const server = createServer((request, response) => {
    const host = (request.headers.host ?? 'localhost').replace(/:\d+$/, '');
    // Only a syntactically plain host name or address is echoed back into Location.
    const safeHost = /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(host) ? host : 'localhost';
    const port = httpsPort === 443 ? '' : `:${httpsPort}`;
    const path = (request.url ?? '/').startsWith('/') ? (request.url ?? '/') : '/';
    response.writeHead(308, { location: `https://${safeHost}${port}${path}`, 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    response.end('This site is served over HTTPS.\n');
  });
  server.headersTimeout = timeoutMs;
  server.requestTimeout = timeoutMs;
  server.keepAliveTimeout = 1000;
  server.setTimeout(timeoutMs, (socket) => socket.destroy());
  return server;
}
