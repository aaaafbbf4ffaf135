/** Ceiling 2: minimal Fastify over HTTPS + a mysql2 pool doing the same primary-key select, answering JSON. */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { createPool } from 'mysql2/promise';

const url = new URL(process.env.MYSQL_URL!);
const pool = createPool({
  host: url.hostname,
  port: Number(url.port || 3306),
  user: decodeURIComponent(url.username),
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1),
  connectionLimit: 10,
});
const app = Fastify({ https: { cert: readFileSync(process.env.CERT!), key: readFileSync(process.env.KEY!) } });
app.get<{ Params: { id: string } }>('/account/:id', async (request) => {
  const [rows] = await pool.query('select acctid, paid_cents, due_cents from account where acctid = ?', [request.params.id]);
  return (rows as unknown[])[0] ?? null;
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
// The bench started us with an IPC channel: it learns the port from this message, not from a log line.
process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
