import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT } from '../support/paths.js';

const run = promisify(execFile);
const root = ROOT;
const composeFile = path.join(root, 'docker-compose.yml');
const composeText = fs.readFileSync(composeFile, 'utf8');

interface Service {
  image?: string;
  build?: { context?: string; args?: Record<string, string> };
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
}
const compose = parse(composeText) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const web = compose.services.web;
const db = compose.services.db;

test('web is built from the Dockerfile and published on 127.0.0.1 only', () => {
  assert.ok(web && db, 'services web and db');
  assert.equal(web.build?.context, '.');
  assert.equal(web.build?.args?.NODE_IMAGE, '${NODE_IMAGE:-node:24-bookworm-slim}');
  assert.deepEqual(web.ports, ['127.0.0.1:${WEB_PORT:-5000}:5000']);
  assert.equal(db.ports, undefined, 'the database is not published');
});

test('db is the official mysql:8.4 (tag overridable) with a named volume and a health check', () => {
  assert.equal(db?.image, '${DB_IMAGE:-mysql:8.4}');
  assert.deepEqual(db?.volumes, ['db-data:/var/lib/mysql']);
  assert.ok(compose.volumes && 'db-data' in compose.volumes);
  assert.match(db?.healthcheck?.test?.join(' ') ?? '', /mysqladmin ping -h 127\.0\.0\.1/);
  assert.deepEqual(web?.depends_on, { db: { condition: 'service_healthy' } });
});

test('web runs read-only, without capabilities, with TLS files mounted read-only', () => {
  assert.equal(web?.read_only, true);
  assert.deepEqual(web?.tmpfs, ['/tmp']);
  assert.deepEqual(web?.cap_drop, ['ALL']);
  assert.deepEqual(web?.security_opt, ['no-new-privileges:true']);
  assert.ok(web?.volumes?.includes('${TLS_DIR:-./ssl}:/app/ssl:ro'));
  assert.match(web?.healthcheck?.test?.join(' ') ?? '', /\/healthz/);
});

test('credentials come from the environment (.env), none is written in the file', () => {
  const env = web?.environment ?? {};
  assert.equal(env.NODE_ENV, 'production');
  assert.equal(env.DATABASE_URL, 'mysql://${MYSQL_USER:?set MYSQL_USER in .env}@db:3306/${MYSQL_DATABASE:?set MYSQL_DATABASE in .env}');
  assert.match(env.DATABASE_PASSWORD ?? '', /^\$\{MYSQL_PASSWORD:\?/);
  assert.match(env.SESSION_SECRET ?? '', /^\$\{SESSION_SECRET:\?/);
  for (const [name, value] of Object.entries({ ...env, ...db?.environment })) {
    if (/PASSWORD|SECRET/.test(name)) assert.match(value, /^\$\{[A-Z_]+:\?[^}]+\}$/, `${name} must be required from .env`);
  }
});

test('.env.example sets every variable the compose file requires', () => {
  const example = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
  const required = new Set([...composeText.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1] ?? ''));
  const lines = example.split('\n');
  for (const name of required) {
    assert.ok(lines.some((line) => line.startsWith(`${name}=`) && line.length > name.length + 1), `${name} in .env.example`);
  }
});

async function composeCli(t: TestContext): Promise<string[] | undefined> {
  for (const cli of [['docker', 'compose'], ['docker-compose']]) {
    try {
      await run(cli[0] ?? '', [...cli.slice(1), 'version']);
      return cli;
    } catch {
      // not this one
    }
  }
  if (process.env.CI === 'true') assert.fail('no compose CLI (docker compose or docker-compose) on this CI machine');
  t.skip('no compose CLI (docker compose or docker-compose) installed');
  return undefined;
}

test('the compose CLI accepts the file, and refuses it without the required secrets', async (t) => {
  const cli = await composeCli(t);
  if (!cli) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-config-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const full = path.join(dir, 'full.env');
  fs.writeFileSync(full, ['MYSQL_ROOT_PASSWORD=r00t-pw', 'MYSQL_DATABASE=crm', 'MYSQL_USER=crm', 'MYSQL_PASSWORD=app-pw',
    'SESSION_SECRET=0123456789abcdef0123456789abcdef', 'WEB_PORT=5443', ''].join('\n'));
  const partial = path.join(dir, 'partial.env');
  fs.writeFileSync(partial, fs.readFileSync(full, 'utf8').replace(/^SESSION_SECRET=.*\n/m, ''));
  // Only the env file counts: none of these from the calling shell.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(MYSQL_|SESSION_SECRET|WEB_PORT|DB_IMAGE|NODE_IMAGE|TLS_DIR|WEB_IMAGE|COMPOSE_)/.test(name)),
  );
  const [cmd = '', ...pre] = cli;
  const { stdout } = await run(cmd, [...pre, '-f', composeFile, '--env-file', full, 'config'], { env });
  const resolved = parse(stdout) as { services: Record<string, Service> };
  assert.equal(resolved.services.web?.environment?.DATABASE_URL, 'mysql://crm@db:3306/crm');
  assert.equal(resolved.services.db?.image, 'mysql:8.4');
  assert.match(JSON.stringify(resolved.services.web?.ports), /127\.0\.0\.1.*5443/);
  await assert.rejects(run(cmd, [...pre, '-f', composeFile, '--env-file', partial, 'config'], { env }), /SESSION_SECRET/);
});
