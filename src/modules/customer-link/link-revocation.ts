import type { Transaction } from 'kysely';
import { insertUnlessPresent } from '../../platform/db/dialect.js';
import type { Database, Queryable } from '../../schema.js';
import { recordAudit, type Actor } from '../audit/index.js';

/** When the account's links were last revoked (milliseconds since the epoch), or null when never. */
export async function linksRevokedAt(db: Queryable, acctid: string): Promise<number | null> {
  const row = await db.selectFrom('customer_link').select('revoked_at').where('acctid', '=', acctid).executeTakeFirst();
  return row === undefined ? null : Number(row.revoked_at);
}

/** Whether a link made at `issuedAt` was revoked: made at or before the account's last revocation. */
export function isRevoked(issuedAt: number, revokedAt: number | null): boolean {
  return revokedAt !== null && issuedAt <= revokedAt;
}

/**
 * Revokes every customer link of an account made up to `now`; links made
 * later work. Audited in the same transaction.
 */
export async function revokeCustomerLinks(trx: Transaction<Database>, actor: Actor, acctid: string, now: number): Promise<void> {
  // Never back in time: a revocation on a replica whose clock is behind must not bring links back.
  const at = Math.max(now, (await linksRevokedAt(trx, acctid)) ?? now);
  const by = actor.name.slice(0, 80);
  await insertUnlessPresent(trx, trx.insertInto('customer_link').values({ acctid, revoked_at: at, revoked_by: by }), ['acctid']).execute();
  await trx.updateTable('customer_link').set({ revoked_at: at, revoked_by: by }).where('acctid', '=', acctid).execute();
  await recordAudit(trx, actor, { action: 'customer_link.revoked', target: acctid, after: { links_made_until: new Date(at).toISOString() } }, now);
}
