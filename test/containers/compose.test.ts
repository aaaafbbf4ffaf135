import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseEnv, promisify } from 'node:util';
import { parse } from 'yaml';
import { ROOT } from '../support/paths.js';
import { requireTool } from '../support/tools.js';

const run = promisify(execFile);
const root = ROOT;
const composeFile = path.join(root, 'docker-compose.yml');
const composeText = fs.readFileSync(composeFile, 'utf8');

interface Service {
  image?: string;
  profiles?: string[];
  command?: string[];
  user?: string;
  group_add?: string[];
  build?: { context?: string; args?: Record<string, string>; network?: string };
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  read_only?: boolean;
  tmpfs?: string[];
  cap_drop?: string[];
  security_opt?: string[];
  secrets?: (string | { source: string; target?: string })[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}
const compose = parse(composeText) as Compose;
const web = compose.services.web;
const db = compose.services.db;
const redis = compose.services.redis;
const mailcatcher = compose.services.mailcatcher;
const worker = compose.services.worker;

test('web is built from the Dockerfile and published on 127.0.0.1 only; db and redis are not published', () => {
  assert.ok(web && db && redis, 'services web, db and redis');
  assert.equal(web.build?.context, '.');
  assert.equal(web.build?.args?.NODE_IMAGE, '${NODE_IMAGE:-node:24-bookworm-slim}');
  assert.deepEqual(web.ports, ['127.0.0.1:${WEB_PORT:-5000}:5000']);
  assert.equal(db.ports, undefined, 'the database is not published');
  assert.equal(redis?.ports, undefined, 'redis is not published');
});

test('db is the official mysql:8.4 (tag overridable) with a named volume and a health check', () => {
  assert.equal(db?.image, '${DB_IMAGE:-mysql:8.4}');
  assert.deepEqual(db?.volumes, ['db-data:/var/lib/mysql']);
  assert.ok(compose.volumes && 'db-data' in compose.volumes);
  assert.match(db?.healthcheck?.test?.join(' ') ?? '', /mysqladmin ping -h 127\.0\.0\.1/);
});

test('web starts only once db and redis are healthy, and gets REDIS_URL=redis://redis:6379', () => {
  assert.deepEqual(web?.depends_on, { db: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  assert.equal(web?.environment?.REDIS_URL, 'redis://redis:6379');
  assert.equal(db?.environment?.REDIS_URL, undefined);
});

test('redis is the official redis:7-alpine (tag overridable with REDIS_IMAGE), keeping nothing on disk', () => {
  assert.equal(redis?.image, '${REDIS_IMAGE:-redis:7-alpine}');
  const command = redis?.command ?? [];
  assert.equal(command[0], 'redis-server');
  assert.equal(command[command.indexOf('--save') + 1], '');
  assert.equal(command[command.indexOf('--appendonly') + 1], 'no');
  assert.deepEqual(redis?.tmpfs, ['/data']);
  assert.equal(redis?.volumes, undefined, 'redis mounts a volume');
});

test('redis runs read-only, as the image\'s non-root redis user, without capabilities', () => {
  assert.equal(redis?.read_only, true);
  assert.equal(redis?.user, 'redis');
  assert.deepEqual(redis?.cap_drop, ['ALL']);
  assert.deepEqual(redis?.security_opt, ['no-new-privileges:true']);
});

/** Runs the redis health check's shell command (as compose would, $$ → $) with a fake redis-cli that prints `reply`. */
function runHealthcheck(t: TestContext, reply: string | undefined): number | null {
  const [kind, command = ''] = redis?.healthcheck?.test ?? [];
  assert.equal(kind, 'CMD-SHELL');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-health-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // redis-cli prints error replies and exits 0; "could not connect" exits 1.
  const fake = reply === undefined
    ? '#!/bin/sh\necho "Could not connect to Redis at 127.0.0.1:6379: Connection refused" >&2\nexit 1\n'
    : `#!/bin/sh\n[ "$*" = ping ] || exit 2\necho '${reply}'\n`;
  fs.writeFileSync(path.join(dir, 'redis-cli'), fake, { mode: 0o755 });
  return spawnSync('sh', ['-c', command.replaceAll('$$', '$')], { env: { PATH: `${dir}:/usr/bin:/bin` } }).status;
}

test('the redis health check passes on PONG only, not on an error reply or a refused connection', (t) => {
  assert.match(redis?.healthcheck?.test?.join(' ') ?? '', /redis-cli ping/);
  assert.equal(runHealthcheck(t, 'PONG'), 0);
  assert.notEqual(runHealthcheck(t, 'LOADING Redis is loading the dataset in memory'), 0);
  assert.notEqual(runHealthcheck(t, 'NOAUTH Authentication required.'), 0);
  assert.notEqual(runHealthcheck(t, undefined), 0);
});

test('web runs read-only, without capabilities, with TLS files mounted read-only', () => {
  assert.equal(web?.read_only, true);
  assert.deepEqual(web?.tmpfs, ['/tmp']);
  assert.deepEqual(web?.cap_drop, ['ALL']);
  assert.deepEqual(web?.security_opt, ['no-new-privileges:true']);
  assert.ok(web?.volumes?.includes('${TLS_DIR:-./ssl}:/app/ssl:ro'));
  // A key readable by the group TLS_KEY_GID (0640) needs no world-readable mode.
  assert.deepEqual(web?.group_add, ['${TLS_KEY_GID:-1000}']);
  assert.match(web?.healthcheck?.test?.join(' ') ?? '', /\/healthz/);
});

test('web passes the mail settings through from .env, none set by default: without SMTP_URL nothing is sent', () => {
  const env = web?.environment ?? {};
  assert.equal(env.SMTP_URL, '${SMTP_URL:-}');
  assert.equal(env.SMTP_REQUIRE_TLS, '${SMTP_REQUIRE_TLS:-false}');
  assert.equal(env.MAIL_FROM, '${MAIL_FROM:-}');
  assert.equal(env.PUBLIC_BASE_URL, '${PUBLIC_BASE_URL:-}');
});

test('the worker runs crm worker on the web image, once web is healthy (it has migrated), with no port and no HTTP health check', () => {
  assert.ok(worker, 'no worker service');
  assert.equal(worker.image, web?.image);
  assert.equal(worker.build, undefined, 'the worker builds its own image');
  assert.deepEqual(worker.command, ['node', 'dist/cli/main.js', 'worker']);
  assert.deepEqual(worker.depends_on, { db: { condition: 'service_healthy' }, web: { condition: 'service_healthy' } });
  assert.equal(worker.ports, undefined);
  // The image's HEALTHCHECK asks /healthz, which the worker does not serve.
  assert.equal(worker.healthcheck?.disable, true);
  assert.equal(worker.profiles, undefined, 'the worker must run by default');
});

test('the worker gets web\'s database, session secret and mail settings, and nothing else of web\'s', () => {
  const mine = worker?.environment ?? {};
  const webs = web?.environment ?? {};
  for (const name of ['NODE_ENV', 'DATABASE_URL', 'DATABASE_PASSWORD', 'SESSION_SECRET', 'SMTP_URL', 'SMTP_REQUIRE_TLS', 'MAIL_FROM', 'PUBLIC_BASE_URL']) {
    assert.equal(mine[name], webs[name], name);
  }
  // Unset, as in the app: no daily reminders until .env chooses a time.
  assert.equal(mine.REMINDERS_AT, '${REMINDERS_AT:-}');
  for (const name of ['REDIS_URL', 'TLS_CERT_FILE', 'TLS_KEY_FILE', 'CRM_BOOTSTRAP_ADMIN_FILE', 'PORT']) assert.equal(mine[name], undefined, name);
  assert.equal(worker?.secrets, undefined);
  assert.equal(worker?.volumes, undefined);
});

test('the worker runs read-only, without capabilities, like web', () => {
  assert.equal(worker?.read_only, true);
  assert.deepEqual(worker?.tmpfs, ['/tmp']);
  assert.deepEqual(worker?.cap_drop, ['ALL']);
  assert.deepEqual(worker?.security_opt, ['no-new-privileges:true']);
});

test('the mail catcher runs only when its profile is asked for, built from scripts/mailcatcher on the app\'s Node base', () => {
  assert.ok(mailcatcher, 'no mailcatcher service');
  assert.deepEqual(mailcatcher.profiles, ['mailcatcher']);
  assert.equal(mailcatcher.build?.context, 'scripts/mailcatcher');
  assert.deepEqual(mailcatcher.build?.args, web?.build?.args);
  assert.equal(mailcatcher.build?.network, web?.build?.network);
  assert.ok(fs.existsSync(path.join(root, 'scripts', 'mailcatcher', 'Dockerfile')));
  // Nothing of the app depends on it: with the profile off, the stack still starts.
  for (const [name, service] of Object.entries(compose.services)) assert.ok(!service.depends_on || !('mailcatcher' in service.depends_on), `${name} depends on mailcatcher`);
});

test('the mail catcher is published on 127.0.0.1 only, read-only and without capabilities', () => {
  assert.deepEqual(mailcatcher?.ports, ['127.0.0.1:${MAILCATCHER_HTTP_PORT:-1080}:1080', '127.0.0.1:${MAILCATCHER_SMTP_PORT:-1025}:1025']);
  assert.equal(mailcatcher?.read_only, true);
  assert.deepEqual(mailcatcher?.cap_drop, ['ALL']);
  assert.deepEqual(mailcatcher?.security_opt, ['no-new-privileges:true']);
  assert.equal(mailcatcher?.environment, undefined, 'the mail catcher needs no credentials');
});

test('the mail catcher image runs server.ts as the node user with a health check, and pins what it installs', () => {
  const dir = path.join(root, 'scripts', 'mailcatcher');
  const dockerfile = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
  const appDockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  const baseOf = (text: string) => /^ARG NODE_IMAGE=(\S+)$/m.exec(text)?.[1];
  assert.equal(baseOf(dockerfile), baseOf(appDockerfile));
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^CMD \["node", "server\.ts"\]$/m);
  assert.match(dockerfile, /^HEALTHCHECK .*\\\n\s+CMD .*1080\/healthz/m);
  assert.match(dockerfile, /npm ci --omit=dev/);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dependencies?: Record<string, string> }> };
  assert.deepEqual(lock.packages['']?.dependencies, pkg.dependencies, 'package-lock.json is not package.json\'s');
  for (const [name, version] of Object.entries(pkg.dependencies)) {
    assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is not pinned`);
    // The versions the app's own tests run smtp-server and mailparser at.
    const used = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version, used.version, `${name}: the catcher has ${version}, the app's tests ${used.version}`);
  }
});

/** Where compose mounts a service's secret: /run/secrets/<name> unless a target says otherwise. */
function secretPath(entry: string | { source: string; target?: string }): string {
  if (typeof entry === 'string') return `/run/secrets/${entry}`;
  return path.posix.resolve('/run/secrets', entry.target ?? entry.source);
}

test('web gets the secret bootstrap-admin, and CRM_BOOTSTRAP_ADMIN_FILE names where compose mounts it', () => {
  const entry = web?.secrets?.find((e) => (typeof e === 'string' ? e : e.source) === 'bootstrap-admin');
  assert.ok(entry, 'web does not get the secret bootstrap-admin');
  assert.equal(web?.environment?.CRM_BOOTSTRAP_ADMIN_FILE, secretPath(entry));
  assert.equal(web?.environment?.CRM_BOOTSTRAP_ADMIN_FILE, '/run/secrets/bootstrap-admin');
  // The host file: .env's CRM_BOOTSTRAP_ADMIN_FILE (what npm start reads too), else one that names no one.
  assert.equal(compose.secrets?.['bootstrap-admin']?.file, '${CRM_BOOTSTRAP_ADMIN_FILE:-./secrets/no-bootstrap-admin}');
  for (const other of [db, redis]) assert.equal(other?.secrets, undefined);
});

test('without a bootstrap admin of your own, compose mounts a committed file that names no one', (t) => {
  const none = fs.readFileSync(path.join(root, 'secrets', 'no-bootstrap-admin'), 'utf8');
  // As the app reads it (util.parseEnv): no user name, no password, no hash.
  assert.deepEqual(parseEnv(none), {});
  if (!requireTool(t, 'git')) return;
  const ignored = (file: string) => spawnSync('git', ['check-ignore', '--quiet', '--no-index', file], { cwd: root }).status === 0;
  assert.equal(ignored('secrets/no-bootstrap-admin'), false, 'secrets/no-bootstrap-admin must be committed');
  // scripts/make-bootstrap-admin.sh writes secrets/bootstrap-admin by default.
  assert.equal(ignored('secrets/bootstrap-admin'), true, 'secrets/bootstrap-admin must be git-ignored');
});

test('web passes the rate limits and the public lookup switch through from .env, with the app\'s defaults', () => {
  const env = web?.environment ?? {};
  assert.equal(env.LOOKUP_RATE_LIMIT, '${LOOKUP_RATE_LIMIT:-60}');
  assert.equal(env.LOGIN_RATE_LIMIT, '${LOGIN_RATE_LIMIT:-10}');
  assert.equal(env.API_RATE_LIMIT, '${API_RATE_LIMIT:-600}');
  assert.equal(env.CRM_PUBLIC_LOOKUP, '${CRM_PUBLIC_LOOKUP:-true}');
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

test('.env.example lists every variable the compose file requires, a value for each that is not a secret', () => {
  const example = fs.readFileSync(path.join(root, '.env.example'), 'utf8');
  const required = new Set([...composeText.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1] ?? ''));
  assert.ok(required.has('SESSION_SECRET') && required.has('MYSQL_PASSWORD'));
  const lines = example.split('\n');
  for (const name of required) {
    const line = lines.find((l) => l.startsWith(`${name}=`));
    assert.ok(line !== undefined, `${name} is not in .env.example`);
    // A secret may be left empty: compose then refuses to start until it is set.
    if (!/PASSWORD|SECRET/.test(name)) assert.ok(line.length > name.length + 1, `${name} has no value in .env.example`);
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
    Object.entries(process.env).filter(([name]) => !/^(MYSQL_|SESSION_SECRET|WEB_PORT|DB_IMAGE|REDIS_IMAGE|NODE_IMAGE|TLS_DIR|TLS_KEY_GID|WEB_IMAGE|COMPOSE_|CRM_|LOOKUP_RATE_LIMIT|LOGIN_RATE_LIMIT|API_RATE_LIMIT)/.test(name)),
  );
  const [cmd = '', ...pre] = cli;
  const { stdout } = await run(cmd, [...pre, '-f', composeFile, '--env-file', full, 'config'], { env });
  const resolved = parse(stdout) as Compose;
  assert.equal(resolved.services.web?.environment?.DATABASE_URL, 'mysql://crm@db:3306/crm');
  assert.equal(resolved.services.db?.image, 'mysql:8.4');
  assert.equal(resolved.services.redis?.image, 'redis:7-alpine');
  assert.equal(resolved.services.web?.environment?.REDIS_URL, 'redis://redis:6379');
  assert.equal(resolved.services.worker?.environment?.DATABASE_URL, 'mysql://crm@db:3306/crm');
  assert.equal(resolved.services.worker?.image, resolved.services.web?.image);
  assert.deepEqual(resolved.services.web?.group_add?.map(String), ['1000']);
  assert.deepEqual(resolved.services.redis?.command, ['redis-server', '--save', '', '--appendonly', 'no']);
  assert.equal(resolved.services.redis?.ports, undefined);
  assert.match(JSON.stringify(resolved.services.web?.ports), /127\.0\.0\.1.*5443/);
  const webEnv = resolved.services.web?.environment ?? {};
  assert.equal(webEnv.CRM_BOOTSTRAP_ADMIN_FILE, '/run/secrets/bootstrap-admin');
  assert.deepEqual([webEnv.LOOKUP_RATE_LIMIT, webEnv.LOGIN_RATE_LIMIT, webEnv.API_RATE_LIMIT, webEnv.CRM_PUBLIC_LOOKUP].map(String), ['60', '10', '600', 'true']);
  assert.equal(resolved.secrets?.['bootstrap-admin']?.file, path.join(root, 'secrets', 'no-bootstrap-admin'));
  const overrides = path.join(dir, 'overrides.env');
  const adminFile = path.join(dir, 'bootstrap-admin');
  fs.writeFileSync(adminFile, 'username=admin\npassword=0123456789abcdef\n', { mode: 0o600 });
  fs.writeFileSync(overrides, `${fs.readFileSync(full, 'utf8')}REDIS_IMAGE=mirror.example/redis:7.4-alpine\nTLS_KEY_GID=4242\n` +
    `CRM_BOOTSTRAP_ADMIN_FILE=${adminFile}\nLOGIN_RATE_LIMIT=0\nAPI_RATE_LIMIT=1200\nCRM_PUBLIC_LOOKUP=false\n`);
  const overridden = parse((await run(cmd, [...pre, '-f', composeFile, '--env-file', overrides, 'config'], { env })).stdout) as typeof resolved;
  assert.equal(overridden.services.redis?.image, 'mirror.example/redis:7.4-alpine');
  assert.deepEqual(overridden.services.web?.group_add?.map(String), ['4242']);
  // .env names the host file; inside web the path stays the mounted secret.
  assert.equal(overridden.secrets?.['bootstrap-admin']?.file, adminFile);
  const overriddenEnv = overridden.services.web?.environment ?? {};
  assert.equal(overriddenEnv.CRM_BOOTSTRAP_ADMIN_FILE, '/run/secrets/bootstrap-admin');
  assert.deepEqual([overriddenEnv.LOGIN_RATE_LIMIT, overriddenEnv.API_RATE_LIMIT, overriddenEnv.CRM_PUBLIC_LOOKUP].map(String), ['0', '1200', 'false']);
  await assert.rejects(run(cmd, [...pre, '-f', composeFile, '--env-file', partial, 'config'], { env }), /SESSION_SECRET/);
  // An empty value, as .env.example leaves the secrets, is refused like a missing one.
  const empty = path.join(dir, 'empty.env');
  fs.writeFileSync(empty, fs.readFileSync(full, 'utf8').replace(/^SESSION_SECRET=.*$/m, 'SESSION_SECRET='));
  await assert.rejects(run(cmd, [...pre, '-f', composeFile, '--env-file', empty, 'config'], { env }), /SESSION_SECRET/);
});

const replica = compose.services.replica;

test("the replica runs only with its profile, on db's image, read-only and GTID-based, with db's binary log to follow", () => {
  assert.ok(replica, 'no replica service');
  assert.deepEqual(replica.profiles, ['replica']);
  assert.equal(replica.image, db?.image);
  assert.deepEqual(replica.depends_on, { db: { condition: 'service_healthy' } });
  const option = (service: Service | undefined, name: string) => service?.command?.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  assert.equal(option(replica, 'read-only'), 'ON');
  assert.equal(option(replica, 'loose-super-read-only'), 'ON');
  assert.notEqual(option(replica, 'server-id'), option(db, 'server-id'));
  assert.ok(option(db, 'log-bin'), 'db writes no binary log');
  for (const service of [db, replica]) assert.equal(option(service, 'loose-gtid-mode'), 'ON');
  assert.equal(replica.ports, undefined, 'the replica is published');
  assert.ok(replica.volumes?.includes('replica-data:/var/lib/mysql') && compose.volumes && 'replica-data' in compose.volumes);
  // Nothing depends on it: with the profile off the stack starts as before, every read on db.
  for (const [name, service] of Object.entries(compose.services)) assert.ok(!service.depends_on || !('replica' in service.depends_on), `${name} depends on the replica`);
});

test('the replica is made by scripts/compose/replica-init.sh: a copy of db with its GTID position, then replication from db', () => {
  const mount = replica?.volumes?.find((v) => v.endsWith(':/docker-entrypoint-initdb.d/replica-init.sh:ro'));
  const script = path.join(root, mount?.split(':')[0] ?? '');
  assert.ok(fs.statSync(script).mode & 0o100, `${script} is not executable`);
  const text = fs.readFileSync(script, 'utf8');
  // Both flavours of db's image: MySQL 8.4 and MariaDB (the container stage's stand-in).
  assert.match(text, /mysqldump .*--single-transaction --set-gtid-purged=ON/);
  assert.match(text, /SOURCE_AUTO_POSITION=1/);
  assert.match(text, /mariadb-dump .*--single-transaction --gtid --master-data=1/);
  assert.match(text, /MASTER_USE_GTID=slave_pos/);
});

test('web and the worker read DATABASE_REPLICA_URL from .env, and the compose CLI wires it to the replica under --profile replica', async (t) => {
  for (const service of [web, worker]) assert.equal(service?.environment?.DATABASE_REPLICA_URL, '${DATABASE_REPLICA_URL:-}');
  const cli = await composeCli(t);
  if (!cli) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-replica-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const envFile = path.join(dir, 'replica.env');
  fs.writeFileSync(envFile, ['MYSQL_ROOT_PASSWORD=r00t-pw', 'MYSQL_DATABASE=crm', 'MYSQL_USER=crm', 'MYSQL_PASSWORD=app-pw',
    'SESSION_SECRET=0123456789abcdef0123456789abcdef', 'COMPOSE_PROFILES=replica', 'DATABASE_REPLICA_URL=mysql://crm@replica:3306/crm', ''].join('\n'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(MYSQL_|SESSION_SECRET|DB_IMAGE|COMPOSE_|DATABASE_)/.test(name)));
  const [cmd = '', ...pre] = cli;
  const { stdout } = await run(cmd, [...pre, '-f', composeFile, '--env-file', envFile, '--profile', 'replica', 'config'], { env });
  const resolved = parse(stdout) as Compose;
  const url = new URL(resolved.services.web?.environment?.DATABASE_REPLICA_URL ?? '');
  // The URL names the replica service on db's port, the app's user and database; its password is DATABASE_PASSWORD's.
  assert.equal(`${url.hostname}:${url.port}${url.pathname}`, 'replica:3306/crm');
  assert.equal(url.username, resolved.services.replica?.environment?.MYSQL_USER);
  assert.equal(resolved.services.worker?.environment?.DATABASE_REPLICA_URL, url.href);
  assert.equal(resolved.services.replica?.image, resolved.services.db?.image);
  assert.equal(resolved.services.replica?.environment?.MYSQL_ROOT_PASSWORD, resolved.services.db?.environment?.MYSQL_ROOT_PASSWORD);
  const services = (await run(cmd, [...pre, '-f', composeFile, '--env-file', envFile, '--profile', 'replica', 'config', '--services'], { env })).stdout.split('\n');
  assert.ok(services.includes('replica'), services.join(' '));
});
