/**
 * The ceilings: minimal Fastify over HTTPS + a mysql2 pool doing the app's
 * queries and nothing else (no hooks, no schemas, no logging), answering JSON.
 * - GET /account/:id: the lookup's primary-key select.
 * - GET /api/account/:id: the API account read: the bearer token's SHA-256
 *   looked up with its owner (as findTokenUser does), then the account's row.
 */
import { createHash } from 'node:crypto';
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
  // The app's default DB_POOL_SIZE.
  connectionLimit: 10,
});
const app = Fastify({ https: { cert: readFileSync(process.env.CERT!), key: readFileSync(process.env.KEY!) } });
app.get<{ Params: { id: string } }>('/account/:id', async (request) => {
  const [rows] = await pool.query('select acctid, paid_cents, due_cents from account where acctid = ?', [request.params.id]);
  return (rows as unknown[])[0] ?? null;
});
app.get<{ Params: { id: string } }>('/api/account/:id', async (request, reply) => {
  const token = /^Bearer +(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return reply.code(401).send({ error: 'token required' });
  const [owners] = await pool.query(
    'select t.id, t.revoked_at, u.role, u.disabled from api_token t join staff_user u on u.id = t.user_id where t.token_hash = ?',
    [createHash('sha256').update(token).digest('hex')],
  );
  const owner = (owners as { revoked_at: unknown; disabled: number }[])[0];
  if (!owner || owner.revoked_at !== null || owner.disabled) return reply.code(401).send({ error: 'token invalid' });
  const [rows] = await pool.query(
    'select acctid, name, email, phone, notes, terms_days, reminders, paid_cents, due_cents, balance_cents, closed_at, created_at, updated_at from account where acctid = ?',
    [request.params.id],
  );
  return (rows as unknown[])[0] ?? reply.code(404).send({ error: 'no such account' });
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
// The bench started us with an IPC channel: it learns the port from this message, not from a log line.
process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
