/**
 * The `crm` operator command as an operator runs it: a process against a
 * SQLite file, its exit codes, what it prints where, and what it leaves in
 * the database. Also what a fresh server says about creating the first admin.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import Sqlite from 'better-sqlite3';
import { ROOT } from '../support/paths.js';
import { runCrm, showRun } from '../support/crm-process.js';
import { OWN_SERVER_SKIP, startServer } from '../support/server-process.js';
import { tempDir } from '../support/tmp.js';

const PASSWORD = 'violet-tugboat-harmonica-47';
const TOKEN_LINE = /^crm_[A-Za-z0-9_-]{43}$/;

const crm = (dbFile: string, args: readonly string[], input = '') => runCrm(dbFile, args, { input });
const show = showRun;

/** A fresh SQLite file with the schema applied by `crm migrate`. */
async function migratedDatabase(t: TestContext): Promise<string> {
  const file = join(tempDir(t, 'crm-cli-'), 'crm.db');
  const migrate = await crm(file, ['migrate']);
  assert.equal(migrate.status, 0, show(migrate));
  return file;
}

function query<T>(dbFile: string, sql: string, ...params: unknown[]): T[] {
  const db = new Sqlite(dbFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

async function addAdmin(dbFile: string, name = 'ops-admin'): Promise<void> {
  const run = await crm(dbFile, ['users', 'add', name, '--role', 'admin', '--password-stdin'], `${PASSWORD}\n`);
  assert.equal(run.status, 0, show(run));
}

describe('crm', { timeout: 300_000 }, () => {
  test('migrate on a fresh database exits 0; other commands refuse an unmigrated one, saying to run crm migrate', async (t) => {
    const fresh = join(tempDir(t, 'crm-cli-'), 'crm.db');
    const early = await crm(fresh, ['users', 'list']);
    assert.equal(early.status, 1, show(early));
    assert.match(early.stderr, /^crm: .*migration\(s\) not applied yet; run `crm migrate` first/);
    assert.equal(early.stdout, '');

    const migrate = await crm(fresh, ['migrate']);
    assert.equal(migrate.status, 0, show(migrate));
    assert.match(migrate.stdout, /database is up to date/);
    const list = await crm(fresh, ['users', 'list']);
    assert.equal(list.status, 0, show(list));
    assert.match(list.stdout, /No staff users yet/);
    assert.equal((await crm(fresh, ['migrate'])).status, 0, 'migrating again is harmless');
  });

  test('users add with --password-stdin, then users list shows the user; the audit says "cli"', async (t) => {
    const db = await migratedDatabase(t);
    // Only the first line is the password.
    const add = await crm(db, ['users', 'add', 'Ops-Admin', '--role', 'admin', '--password-stdin'], `${PASSWORD}\nnot part of it\n`);
    assert.equal(add.status, 0, show(add));
    assert.equal(add.stdout, 'Added admin ops-admin.\n');

    const list = await crm(db, ['users', 'list']);
    assert.equal(list.status, 0, show(list));
    assert.match(list.stdout, /^NAME\s+ROLE\s+STATUS\s+CREATED\n/);
    assert.match(list.stdout, /^ops-admin\s+admin\s+active\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC$/m);

    const json = await crm(db, ['users', 'list', '--json']);
    assert.equal(json.status, 0, show(json));
    const users = JSON.parse(json.stdout) as { username: string; role: string; status: string; createdAt: string }[];
    assert.deepEqual(
      users.map(({ username, role, status }) => ({ username, role, status })),
      [{ username: 'ops-admin', role: 'admin', status: 'active' }],
    );

    const audit = query<{ actor: string; action: string; target: string }>(db, 'select actor, action, target from audit_event');
    assert.deepEqual(audit, [{ actor: 'cli', action: 'user.created', target: 'ops-admin' }]);
    const [row] = query<{ password_hash: string }>(db, 'select password_hash from staff_user');
    assert.match(row?.password_hash ?? '', /^\$argon2id\$/);

    const again = await crm(db, ['users', 'add', 'ops-admin', '--role', 'viewer', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(again.status, 1, show(again));
    assert.match(again.stderr, /^crm: The user name "ops-admin" is already taken\.\n$/);
  });

  test('a weak password: exit 1 with the policy’s message, and no user', async (t) => {
    const db = await migratedDatabase(t);
    const short = await crm(db, ['users', 'add', 'clerk-one', '--role', 'clerk', '--password-stdin'], 'tiny-pw\n');
    assert.equal(short.status, 1, show(short));
    assert.equal(short.stderr, 'crm: The password must be at least 12 characters long.\n');
    const common = await crm(db, ['users', 'add', 'clerk-one', '--role', 'clerk', '--password-stdin'], 'Sunshine2024!\n');
    assert.equal(common.status, 1, show(common));
    assert.match(common.stderr, /common one with digits or symbols added/);
    const empty = await crm(db, ['users', 'add', 'clerk-one', '--role', 'clerk', '--password-stdin'], '');
    assert.equal(empty.status, 1, show(empty));
    assert.match(empty.stderr, /standard input is empty/);
    assert.deepEqual(query(db, 'select username from staff_user'), []);
  });

  test('bad arguments exit 2 with the usage: unknown role, missing arguments, unknown command', async (t) => {
    const db = await migratedDatabase(t);
    const cases: [string[], RegExp][] = [
      [['users', 'add', 'someone', '--role', 'superuser', '--password-stdin'], /argument 'superuser' is invalid\. Allowed choices are admin, clerk, viewer/],
      [['users', 'add', '--role', 'admin'], /missing required argument 'name'/],
      [['users', 'add', 'someone'], /required option '--role <role>' not specified/],
      [['users', 'disable'], /missing required argument 'name'/],
      [['tokens', 'create', 'ops-admin'], /required option '--label <text>' not specified/],
      [['tokens', 'create', 'ops-admin', '--label', 'ci', '--expires-in-days', 'soon'], /whole number of days/],
      [['tokens', 'revoke', 'abc'], /positive whole number/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['users', 'list', 'extra'], /too many arguments/],
      [[], /Usage: crm/],
    ];
    const runs = await Promise.all(cases.map(([args]) => crm(db, args)));
    for (const [index, [args, message]] of cases.entries()) {
      const run = runs[index]!;
      assert.equal(run.status, 2, `crm ${args.join(' ')}: ${show(run)}`);
      assert.match(run.stderr, message, `crm ${args.join(' ')}`);
      assert.match(run.stderr, /Usage: crm/, `crm ${args.join(' ')} shows the usage`);
      assert.equal(run.stdout, '', `crm ${args.join(' ')} prints nothing on stdout`);
    }
    const help = await crm(db, ['--help']);
    assert.equal(help.status, 0, show(help));
    assert.match(help.stdout, /users[\s\S]*tokens[\s\S]*migrate/);
  });

  test('a password on the command line is refused (exit 2) and never echoed', async (t) => {
    const db = await migratedDatabase(t);
    const attempts = [
      ['users', 'add', 'someone', '--role', 'admin', '--password', 'secret'],
      ['users', 'add', 'someone', '--role', 'admin', '--password=secret'],
      ['users', 'add', 'someone', '--role', 'admin', '-psecret'],
      ['users', 'reset-password', 'someone', '--password=secret'],
      ['users', 'add', 'someone', '--role', 'admin', '--password-stdin=secret'],
      ['--password=secret', 'users', 'list'],
    ];
    const runs = await Promise.all(attempts.map((args) => crm(db, args, `${PASSWORD}\n`)));
    for (const [index, args] of attempts.entries()) {
      const run = runs[index]!;
      assert.equal(run.status, 2, `crm ${args.join(' ')}: ${show(run)}`);
      assert.match(run.stderr, /unknown option '-/);
      assert.ok(!`${run.stdout}${run.stderr}`.includes('secret'), `crm ${args.join(' ')} echoed the value: ${show(run)}`);
    }
    assert.deepEqual(query(db, 'select username from staff_user'), []);
  });

  test('without a terminal and without --password-stdin: exit 2, saying to use --password-stdin', async (t) => {
    const db = await migratedDatabase(t);
    await addAdmin(db);
    for (const args of [
      ['users', 'add', 'someone', '--role', 'clerk'],
      ['users', 'reset-password', 'ops-admin'],
    ]) {
      const run = await crm(db, args, `${PASSWORD}\n`);
      assert.equal(run.status, 2, `crm ${args.join(' ')}: ${show(run)}`);
      assert.match(run.stderr, /standard input is not a terminal.*--password-stdin/);
    }
    assert.deepEqual(query(db, 'select username from staff_user'), [{ username: 'ops-admin' }]);
  });

  test('tokens create prints the token alone on stdout, and the database holds only its sha256; list and revoke', async (t) => {
    const db = await migratedDatabase(t);
    await addAdmin(db);
    const create = await crm(db, ['tokens', 'create', 'ops-admin', '--label', 'deploy bot', '--expires-in-days', '30']);
    assert.equal(create.status, 0, show(create));
    const lines = create.stdout.split('\n');
    assert.equal(lines.length, 2, `one line, then the final newline: ${JSON.stringify(create.stdout)}`);
    const token = lines[0] ?? '';
    assert.match(token, TOKEN_LINE);
    assert.equal(lines[1], '');
    assert.match(create.stderr, /will not be shown again/);
    assert.ok(!create.stderr.includes(token), 'the token is on stdout only');

    const rows = query<{ id: number; token_hash: string; prefix: string; label: string; expires_at: number }>(
      db,
      'select id, token_hash, prefix, label, expires_at from api_token',
    );
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.equal(row?.token_hash, createHash('sha256').update(token).digest('hex'));
    assert.equal(row?.label, 'deploy bot');
    assert.ok(token.startsWith(row?.prefix ?? '-') && (row?.prefix.length ?? 99) < token.length);
    const days = ((row?.expires_at ?? 0) - Date.now()) / 86_400_000;
    assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
    for (const file of [db, `${db}-wal`, `${db}-journal`]) {
      if (existsSync(file)) assert.ok(!readFileSync(file).includes(token), `${file} does not hold the token`);
    }
    const audit = query<{ actor: string }>(db, "select actor from audit_event where action = 'token.created'");
    assert.deepEqual(audit, [{ actor: 'cli' }]);

    const list = await crm(db, ['tokens', 'list', 'ops-admin']);
    assert.equal(list.status, 0, show(list));
    const listed = list.stdout.split('\n').find((line) => line.startsWith(`${String(row?.id)} `)) ?? '';
    assert.match(listed, /^\d+\s+deploy bot\s+crm_\S+…\s+active\s/, list.stdout);
    assert.ok(listed.includes(`${row?.prefix ?? '-'}…`), 'the prefix tells tokens apart');
    assert.ok(!list.stdout.includes(token));

    const revoke = await crm(db, ['tokens', 'revoke', String(row?.id)]);
    assert.equal(revoke.status, 0, show(revoke));
    assert.match(revoke.stdout, /Revoked token \d+ \("deploy bot"\)/);
    assert.ok(query<{ revoked_at: number | null }>(db, 'select revoked_at from api_token')[0]?.revoked_at);
    const json = JSON.parse((await crm(db, ['tokens', 'list', 'ops-admin', '--json'])).stdout) as { status: string }[];
    assert.deepEqual(
      json.map((entry) => entry.status),
      ['revoked'],
    );
    assert.equal((await crm(db, ['tokens', 'revoke', String(row?.id)])).status, 0, 'revoking twice is not an error');

    const unknown = await crm(db, ['tokens', 'revoke', '9999']);
    assert.equal(unknown.status, 1, show(unknown));
    assert.match(unknown.stderr, /^crm: There is no API token with id 9999\.\n$/);
  });

  test('users disable / enable / reset-password; the last admin cannot be disabled', async (t) => {
    const db = await migratedDatabase(t);
    await addAdmin(db);
    const clerk = await crm(db, ['users', 'add', 'clerk-one', '--role', 'clerk', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(clerk.status, 0, show(clerk));

    const disable = await crm(db, ['users', 'disable', 'clerk-one']);
    assert.equal(disable.status, 0, show(disable));
    assert.match((await crm(db, ['users', 'list'])).stdout, /^clerk-one\s+clerk\s+disabled\s/m);
    assert.deepEqual(query(db, 'select disabled from staff_user where username = ?', 'clerk-one'), [{ disabled: 1 }]);

    const enable = await crm(db, ['users', 'enable', 'clerk-one']);
    assert.equal(enable.status, 0, show(enable));
    assert.match((await crm(db, ['users', 'list'])).stdout, /^clerk-one\s+clerk\s+active\s/m);

    const before = query<{ password_hash: string }>(db, 'select password_hash from staff_user where username = ?', 'clerk-one');
    const reset = await crm(db, ['users', 'reset-password', 'clerk-one', '--password-stdin'], 'a-brand-new-passphrase-92\n');
    assert.equal(reset.status, 0, show(reset));
    const after = query<{ password_hash: string }>(db, 'select password_hash from staff_user where username = ?', 'clerk-one');
    assert.notEqual(after[0]?.password_hash, before[0]?.password_hash);

    const lastAdmin = await crm(db, ['users', 'disable', 'ops-admin']);
    assert.equal(lastAdmin.status, 1, show(lastAdmin));
    assert.match(lastAdmin.stderr, /last active admin/);

    const actions = query<{ actor: string; action: string }>(db, "select actor, action from audit_event where target = 'clerk-one' order by id");
    assert.deepEqual(
      actions.map((entry) => `${entry.actor} ${entry.action}`),
      ['cli user.created', 'cli user.disabled', 'cli user.enabled', 'cli user.password_changed'],
    );
  });

  test('an unknown user: exit 1 naming it', async (t) => {
    const db = await migratedDatabase(t);
    const attempts = [
      ['users', 'disable', 'nobody'],
      ['users', 'enable', 'nobody'],
      ['tokens', 'create', 'nobody', '--label', 'x'],
      ['tokens', 'list', 'nobody'],
    ];
    const runs = await Promise.all(attempts.map((args) => crm(db, args)));
    for (const [index, args] of attempts.entries()) {
      const run = runs[index]!;
      assert.equal(run.status, 1, `crm ${args.join(' ')}: ${show(run)}`);
      assert.match(run.stderr, /^crm: There is no staff user named "nobody"/);
      assert.equal(run.stdout, '');
    }
    const reset = await crm(db, ['users', 'reset-password', 'nobody', '--password-stdin'], `${PASSWORD}\n`);
    assert.equal(reset.status, 1, show(reset));
  });

  test('an unreachable database or bad settings: exit 1 with one line', async (t) => {
    const dir = tempDir(t, 'crm-cli-');
    const unreachable = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'users', 'list'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', NODE_ENV: 'test', DATABASE_URL: 'postgres://crm@127.0.0.1:1/crm', DATABASE_PASSWORD: 'not-the-password' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(unreachable.status, 1, unreachable.stderr);
    assert.match(unreachable.stderr, /^crm: .*could not reach the postgres at 127\.0\.0\.1:1\/crm/);
    assert.ok(!unreachable.stderr.includes('not-the-password'));
    assert.equal(unreachable.stderr.trimEnd().split('\n').length, 1, 'one line');

    const badSettings = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), 'users', 'list'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ENV_FILE: 'none', NODE_ENV: 'test', DATABASE_URL: `sqlite:${join(dir, 'crm.db')}`, DB_POOL_SIZE: 'lots' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(badSettings.status, 1, badSettings.stderr);
    assert.equal(badSettings.stderr, 'crm: invalid configuration: DB_POOL_SIZE: must be a whole number\n');
  });
});

describe('a fresh server and the first admin', { skip: OWN_SERVER_SKIP, timeout: 120_000 }, () => {
  const warning = 'No staff users yet. Create the first admin with: npm run crm -- users add NAME --role admin';

  test('without staff users, the server says how to create the first admin', async () => {
    const server = await startServer();
    try {
      const line = server.logLines.find((entry) => entry.includes(warning));
      assert.ok(line, `a start-up line says how: ${server.logLines.join('\n')}`);
      assert.match(line, /"level":40/);
      assert.match(line, /CRM_BOOTSTRAP_ADMIN_FILE/);
    } finally {
      await server.cleanup();
    }
  });

  test('with CRM_BOOTSTRAP_ADMIN_FILE, it creates that admin once, which crm then lists', async (t) => {
    const file = join(tempDir(t, 'crm-bootstrap-'), 'bootstrap-admin');
    writeFileSync(file, `username=first-admin\npassword=${PASSWORD}\n`, { mode: 0o600 });
    const server = await startServer({ CRM_BOOTSTRAP_ADMIN_FILE: file });
    const dbFile = join(server.dir, 'crm.db');
    try {
      assert.ok(server.logLines.some((entry) => entry.includes('created the first admin first-admin from CRM_BOOTSTRAP_ADMIN_FILE')), server.logLines.join('\n'));
      assert.ok(!server.logLines.some((entry) => entry.includes(warning)));
      assert.ok(!server.logLines.some((entry) => entry.includes(PASSWORD)), 'the password is never logged');
      await server.stop();
      const list = await crm(dbFile, ['users', 'list']);
      assert.equal(list.status, 0, show(list));
      assert.match(list.stdout, /^first-admin\s+admin\s+active\s/m);
      assert.deepEqual(query(dbFile, "select actor from audit_event where action = 'user.created'"), [{ actor: 'bootstrap' }]);
    } finally {
      await server.cleanup();
    }
  });
});
