/**
 * The ceilings: minimal Fastify over HTTPS + a mysql2 pool doing the app's
 * queries and nothing else (no hooks, no schemas, no logging), answering JSON.
 * - GET /account/:id: the lookup's primary-key select, answered with JSON.
 * - POST /: the same HTTP exchange as the seed's lookup, minimally: a form
 *   body parsed, the same select, an HTML page of the lookup page's size
 *   (a template string, no escaping) with the balance in it. None of the
 *   app's protections (CSRF, cookie, headers, rate limit), logs or views.
 * - GET /api/account/:id: the API account read: the bearer token's SHA-256
 *   looked up with its owner (as findTokenUser does), then the account's row.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import { createPool } from 'mysql2/promise';
import { centsFromColumn, formatCents, subtractCents } from '../../src/shared/money.js';

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
await app.register(formbody);
/** The lookup page's size with a balance (920 bytes, padded to it): what the response's TLS write carries. */
const lookupPage = (result: string) =>
  `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>Account lookup</title>\n<link rel="stylesheet" href="/static/style.css">\n</head>\n<body>\n<main>\n<h1>Account lookup</h1>\n<form method="post" action="/">\n<input type="hidden" name="csrf_token" value="${'x'.repeat(90)}">\n<label for="acctid">Enter account ID (e.g. ACCT100):</label>\n<input type="text" id="acctid" name="acctid" value="" maxlength="32" autocomplete="off" required autofocus>\n<button type="submit">Submit</button>\n</form>\n${result}\n<p class="staff-sign-in"><a href="/login">Staff sign in</a></p>\n</main>\n${' '.repeat(126)}</body>\n</html>\n`;
app.post<{ Body: { acctid?: string } }>('/', async (request, reply) => {
  const [rows] = await pool.query('select acctid, paid_cents, due_cents from account where acctid = ?', [String(request.body?.acctid ?? '')]);
  const row = (rows as { paid_cents: number | string; due_cents: number | string }[])[0];
  // Money in integer cents, formatted as the lookup formats it.
  const result = row ? `<p class="result" role="status">Account balance: ${formatCents(subtractCents(centsFromColumn(row.due_cents), centsFromColumn(row.paid_cents)))}</p>` : '<p class="problem">Unknown account number; please try again</p>';
  return reply.type('text/html; charset=utf-8').send(lookupPage(result));
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
