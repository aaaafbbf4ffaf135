import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { hash } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import { migrateDatabase } from '../../src/migrations/index.js';
import { CLI_ACTOR } from '../../src/modules/audit/audit.repository.js';
import { bootstrapAdmin } from '../../src/modules/staff/bootstrap.js';
import { hashPassword, verifyPassword } from '../../src/modules/staff/password.js';
import { countUsers, createUser, findUserByName } from '../../src/modules/staff/users.js';
import { createDatabase } from '../../src/platform/db/database.js';
import { parseDatabaseUrl } from '../../src/platform/db/database-url.js';
import type { Database } from '../../src/schema.js';
import { tempDir } from '../support/tmp.js';

const PASSWORD = 'violet-tugboat-harmonica-47';

async function freshDatabase(t: TestContext): Promise<Kysely<Database>> {
  const db = createDatabase<Database>(parseDatabaseUrl('sqlite::memory:'), { poolSize: 1, connectTimeoutMs: 1000 });
  t.after(() => db.destroy());
  await migrateDatabase(db);
  return db;
}

function capturingLogger(): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines, text: () => lines.join('') };
}

function secretFile(t: TestContext, content: string): string {
  const file = join(tempDir(t, 'crm-bootstrap-'), 'bootstrap-admin');
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** Runs bootstrapAdmin expecting it to throw; returns the message. */
async function refusal(db: Kysely<Database>, file: string): Promise<string> {
  const { logger } = capturingLogger();
  const error = await bootstrapAdmin(db, file, logger).then(
    () => assert.fail('bootstrapAdmin accepted the file'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof Error);
  return error.message;
}

describe('bootstrapAdmin', () => {
  test('creates the first admin from a file with username= and password=, audited as "bootstrap", never logging the password', async (t) => {
    const db = await freshDatabase(t);
    const log = capturingLogger();
    const file = secretFile(t, `# the first admin\nusername=Root-Admin\npassword=${PASSWORD}\n`);

    const user = await bootstrapAdmin(db, file, log.logger);

    assert.equal(user?.username, 'root-admin');
    assert.equal(user?.role, 'admin');
    assert.equal(user?.disabled, false);
    const row = await db.selectFrom('staff_user').select('password_hash').where('username', '=', 'root-admin').executeTakeFirstOrThrow();
    assert.equal(await verifyPassword(row.password_hash, PASSWORD), true, 'the password in the file signs in');
    const audit = await db.selectFrom('audit_event').selectAll().execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.actor, 'bootstrap');
    assert.equal(audit[0]?.action, 'user.created');
    assert.equal(audit[0]?.target, 'root-admin');
    assert.match(log.text(), /created the first admin root-admin from CRM_BOOTSTRAP_ADMIN_FILE/);
    assert.ok(!log.text().includes(PASSWORD), 'the password is not logged');
    assert.ok(!log.text().includes(row.password_hash), 'nor its hash');
  });

  test('creates the admin from password_hash= (an argon2id hash as crm makes them), storing that hash', async (t) => {
    const db = await freshDatabase(t);
    const log = capturingLogger();
    const passwordHash = await hashPassword(PASSWORD);
    const file = secretFile(t, `username=hashed-admin\npassword_hash='${passwordHash}'\n`);

    const user = await bootstrapAdmin(db, file, log.logger);

    assert.equal(user?.username, 'hashed-admin');
    const row = await db.selectFrom('staff_user').select('password_hash').where('username', '=', 'hashed-admin').executeTakeFirstOrThrow();
    assert.equal(row.password_hash, passwordHash);
    assert.equal(await verifyPassword(row.password_hash, PASSWORD), true);
    assert.equal((await db.selectFrom('audit_event').select('actor').executeTakeFirstOrThrow()).actor, 'bootstrap');
    assert.ok(!log.text().includes(passwordHash), 'the hash is not logged');
  });

  test('ignores the file, without reading it, once staff users exist', async (t) => {
    const db = await freshDatabase(t);
    await createUser(db, CLI_ACTOR, { username: 'existing-admin', role: 'admin', password: PASSWORD });
    const log = capturingLogger();

    // A path that does not exist: reading it would throw.
    const user = await bootstrapAdmin(db, join(tempDir(t), 'missing-file'), log.logger);

    assert.equal(user, null);
    assert.equal(await countUsers(db), 1);
    assert.match(log.text(), /"level":30.*staff users exist: CRM_BOOTSTRAP_ADMIN_FILE is ignored/);
  });

  test('does nothing without a file', async (t) => {
    const db = await freshDatabase(t);
    assert.equal(await bootstrapAdmin(db, null, capturingLogger().logger), null);
    assert.equal(await countUsers(db), 0);
  });

  test('a file that names no one (the placeholder docker compose mounts) creates nobody and is not an error', async (t) => {
    const db = await freshDatabase(t);
    const log = capturingLogger();
    const file = secretFile(t, '# No bootstrap admin: no username, no password.\n');
    assert.equal(await bootstrapAdmin(db, file, log.logger), null);
    assert.equal(await countUsers(db), 0);
    assert.match(log.text(), /names no admin/);
  });

  test('refuses a password the policy refuses, naming the file and the rule but not the password', async (t) => {
    const db = await freshDatabase(t);
    const weak = 'Sunshine2024!';
    const file = secretFile(t, `username=admin\npassword=${weak}\n`);
    const message = await refusal(db, file);
    assert.ok(message.includes(file), message);
    assert.match(message, /common/);
    assert.ok(!message.includes(weak), message);
    assert.equal(await countUsers(db), 0);

    const short = secretFile(t, 'username=admin\npassword=tiny-pw\n');
    const shortMessage = await refusal(db, short);
    assert.match(shortMessage, /at least 12 characters/);
    assert.ok(!shortMessage.includes('tiny-pw'), shortMessage);
  });

  test('refuses a hash weaker than the policy or malformed, without repeating it', async (t) => {
    const db = await freshDatabase(t);
    // argon2id with a tenth of the memory.
    const cheap = await hash(PASSWORD, { algorithm: 2, memoryCost: 2048, timeCost: 1, parallelism: 1 });
    for (const bad of [cheap, '$argon2id$not-a-hash', '$2b$12$abcdefghijklmnopqrstuv0123456789012345678901234567890']) {
      const file = secretFile(t, `username=admin\npassword_hash='${bad}'\n`);
      const message = await refusal(db, file);
      assert.ok(message.includes(file), message);
      assert.match(message, /argon2id with at least m=19456/);
      assert.ok(!message.includes(bad), message);
    }
    assert.equal(await countUsers(db), 0);
  });

  test('refuses a file without username=, without a password, with both, or that cannot be read', async (t) => {
    const db = await freshDatabase(t);
    const passwordHash = await hashPassword(PASSWORD);
    const cases: [string, RegExp][] = [
      [`password=${PASSWORD}\n`, /has no username=/],
      ['username=admin\n', /has neither password= nor password_hash=/],
      [`username=admin\npassword=${PASSWORD}\npassword_hash='${passwordHash}'\n`, /has both password= and password_hash=/],
      [`username=bad name!\npassword=${PASSWORD}\n`, /A user name must be 3 to 64 characters/],
    ];
    for (const [content, problem] of cases) {
      const file = secretFile(t, content);
      const message = await refusal(db, file);
      assert.match(message, problem);
      assert.ok(message.startsWith(`CRM_BOOTSTRAP_ADMIN_FILE ${file}: `), message);
      assert.ok(!message.includes(PASSWORD) && !message.includes(passwordHash), message);
    }
    const missing = join(tempDir(t), 'no-such-file');
    assert.match(await refusal(db, missing), /CRM_BOOTSTRAP_ADMIN_FILE .*no-such-file: cannot read it \(ENOENT\)/);
    assert.equal(await countUsers(db), 0);
  });

  test('two replicas bootstrapping at once: both succeed and there is one admin', async (t) => {
    const db = await freshDatabase(t);
    const file = secretFile(t, `username=admin\npassword=${PASSWORD}\n`);
    const [a, b] = [capturingLogger(), capturingLogger()];

    const results = await Promise.all([bootstrapAdmin(db, file, a.logger), bootstrapAdmin(db, file, b.logger)]);

    assert.equal(results.filter((user) => user !== null).length, 1, 'exactly one created it');
    assert.equal(await countUsers(db), 1);
    assert.equal((await findUserByName(db, 'admin'))?.role, 'admin');
    const loser = results[0] === null ? a : b;
    assert.match(loser.text(), /another replica created it|staff users exist/);
  });
});
