/** Ceiling 1: node:https answering every request with a fixed 2 KB page. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const page = `<!doctype html><title>ceiling</title><p>${'x'.repeat(2048 - 40)}</p>`;
const server = createServer({ cert: readFileSync(process.env.CERT!), key: readFileSync(process.env.KEY!) }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) });
  res.end(page);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  // The bench started us with an IPC channel: it learns the port from this message, not from a log line.
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
