import type { Queryable } from '../../schema.js';
import { dialectOf, insertUnlessPresent, lockForShare } from '../../platform/db/dialect.js';

/** An e-mail to queue. `dedupeKey`, when set, makes queueing it again a no-op. */
export interface NewMessage {
  purpose: string;
  acctid: string | null;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Built at send time by the worker's renderer for `kind`, from `ref`. */
  attachment?: { kind: string; ref: Record<string, string> } | null;
  dedupeKey?: string | null;
}

/** The row a message is queued as, due at `now`. */
function rowOf(message: NewMessage, now: number) {
  return {
    purpose: message.purpose,
    acctid: message.acctid,
    to_address: message.to,
    subject: message.subject,
    text_body: message.text,
    html_body: message.html,
    attachment_kind: message.attachment?.kind ?? null,
    attachment_ref: message.attachment ? JSON.stringify(message.attachment.ref) : null,
    dedupe_key: message.dedupeKey ?? null,
    next_attempt_at: now,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Queues a message, due at once. Pass the transaction that decides to send
 * it, so the message exists exactly when that decision does. With a dedupe
 * key already queued (in any state), adds nothing and returns that row's id.
 */
export async function enqueueMessage(db: Queryable, message: NewMessage, now: number): Promise<number> {
  const values = rowOf(message, now);
  const dedupeKey = message.dedupeKey;
  if (dedupeKey !== undefined && dedupeKey !== null) {
    await insertUnlessPresent(db, db.insertInto('outbox_message').values(values), ['dedupe_key']).execute();
    // A locking read sees the row a concurrent transaction committed (MySQL's plain reads keep the
    // transaction's snapshot). Shared, since the ignored insert already holds a shared lock on the key:
    // asking for an exclusive one would deadlock two such transactions.
    const row = await lockForShare(db, db.selectFrom('outbox_message').select('id').where('dedupe_key', '=', dedupeKey)).executeTakeFirstOrThrow();
    return Number(row.id);
  }
  if (dialectOf(db) === 'postgres') {
    const row = await db.insertInto('outbox_message').values(values).returning('id').executeTakeFirstOrThrow();
    return Number(row.id);
  }
  const result = await db.insertInto('outbox_message').values(values).executeTakeFirstOrThrow();
  return Number(result.insertId);
}

/** Rows per INSERT when queueing many: a few hundred kilobytes of bodies, well under every driver's limits. */
const MESSAGES_PER_INSERT = 200;

/**
 * Queues many messages, each with its dedupe key, a few hundred rows per
 * statement (a run over a million accounts cannot afford two statements a
 * message). Keys already queued add nothing. Returns each key's row id.
 */
export async function enqueueMessages(db: Queryable, messages: readonly (NewMessage & { dedupeKey: string })[], now: number): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (let start = 0; start < messages.length; start += MESSAGES_PER_INSERT) {
    const chunk = messages.slice(start, start + MESSAGES_PER_INSERT);
    const rows = chunk.map((message) => rowOf(message, now));
    await insertUnlessPresent(db, db.insertInto('outbox_message').values(rows), ['dedupe_key']).execute();
    // A locking read, as in enqueueMessage: it sees rows a concurrent transaction committed.
    const locked = lockForShare(
      db,
      db
        .selectFrom('outbox_message')
        .select(['id', 'dedupe_key'])
        .where(
          'dedupe_key',
          'in',
          chunk.map((message) => message.dedupeKey),
        ),
    );
    for (const row of await locked.execute()) if (row.dedupe_key !== null) ids.set(row.dedupe_key, Number(row.id));
  }
  return ids;
}
