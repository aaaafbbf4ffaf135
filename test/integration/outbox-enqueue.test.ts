/**
 * Queueing e-mail on each database: a message is a pending row due at once,
 * written in the caller's transaction (gone if it rolls back); a dedupe key
 * queues once, even from concurrent transactions; an account's history
 * lists its messages newest first.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { enqueueMessage, messagesOfAccount, type NewMessage } from '../../src/modules/outbox/index.js';
import { openTestDatabase, TEST_DATABASES, uniqueAcctId } from '../support/test-databases.js';

const NOW = Date.parse('2026-12-06T09:00:00Z');

function message(acctid: string | null, overrides: Partial<NewMessage> = {}): NewMessage {
  return { purpose: 'test', acctid, to: 'customer@example.com', subject: 'Your account', text: 'Hello.', html: '<p>Hello.</p>', ...overrides };
}

for (const target of TEST_DATABASES) {
  const opened = await openTestDatabase(target);
  describe(`outbox enqueue on ${target.name}`, { skip: opened.skip ?? false }, () => {
    const db = opened.db!;
    after(() => db?.destroy());

    test('a message is queued pending, due now, with its parts and attachment reference', async () => {
      const acctid = uniqueAcctId('Q');
      const id = await enqueueMessage(db, message(acctid, { attachment: { kind: 'statement', ref: { acctid, from: '2026-11-01', to: '2026-11-30' } } }), NOW);
      const row = await db.selectFrom('outbox_message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      assert.equal(row.status, 'pending');
      assert.equal(Number(row.attempts), 0);
      assert.equal(Number(row.next_attempt_at), NOW);
      assert.equal(row.to_address, 'customer@example.com');
      assert.equal(row.html_body, '<p>Hello.</p>');
      assert.equal(row.attachment_kind, 'statement');
      assert.deepEqual(JSON.parse(row.attachment_ref!), { acctid, from: '2026-11-01', to: '2026-11-30' });
      assert.equal(row.message_id, null);
    });

    test('the same dedupe key queues once and returns the first id; other keys and no key queue again', async () => {
      const acctid = uniqueAcctId('Q');
      const key = `test:${randomUUID()}`;
      const first = await enqueueMessage(db, message(acctid, { dedupeKey: key }), NOW);
      const again = await enqueueMessage(db, message(acctid, { dedupeKey: key, subject: 'Changed' }), NOW + 1000);
      const other = await enqueueMessage(db, message(acctid, { dedupeKey: `${key}:2` }), NOW);
      const keyless = [await enqueueMessage(db, message(acctid), NOW), await enqueueMessage(db, message(acctid), NOW)];
      assert.equal(again, first);
      assert.equal(new Set([first, other, ...keyless]).size, 4);
      const rows = await db.selectFrom('outbox_message').select(['id', 'subject']).where('acctid', '=', acctid).execute();
      assert.equal(rows.length, 4);
      assert.equal(rows.find((row) => Number(row.id) === first)?.subject, 'Your account');
    });

    test('concurrent transactions queueing one dedupe key leave one row, and both learn its id', { skip: target.name === 'SQLite' && 'one connection: no concurrency' }, async () => {
      const acctid = uniqueAcctId('Q');
      const key = `test:${randomUUID()}`;
      const ids = await Promise.all(Array.from({ length: 4 }, () => db.transaction().execute((trx) => enqueueMessage(trx, message(acctid, { dedupeKey: key }), NOW))));
      assert.equal(new Set(ids).size, 1);
      const count = await db.selectFrom('outbox_message').select((eb) => eb.fn.countAll<number>().as('n')).where('dedupe_key', '=', key).executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
    });

    test('a message queued in a transaction that rolls back is not queued', async () => {
      const acctid = uniqueAcctId('Q');
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await enqueueMessage(trx, message(acctid, { dedupeKey: `test:${randomUUID()}` }), NOW);
          throw new Error('the decision failed');
        }),
        /the decision failed/,
      );
      assert.deepEqual(await messagesOfAccount(db, acctid, 10), []);
    });

    test("an account's history lists its own messages, newest first, up to the limit", async () => {
      const acctid = uniqueAcctId('Q');
      const ids = [];
      for (const subject of ['first', 'second', 'third']) ids.push(await enqueueMessage(db, message(acctid, { subject }), NOW));
      await enqueueMessage(db, message(uniqueAcctId('Q')), NOW);
      const listed = await messagesOfAccount(db, acctid, 2);
      assert.deepEqual(
        listed.map(({ id, subject, status, to, sentAt }) => ({ id, subject, status, to, sentAt })),
        [
          { id: ids[2], subject: 'third', status: 'pending', to: 'customer@example.com', sentAt: null },
          { id: ids[1], subject: 'second', status: 'pending', to: 'customer@example.com', sentAt: null },
        ],
      );
    });
  });
}
