import type { Queryable } from '../../schema.js';
import type { AuditEventRow } from './audit.table.js';

/** Who did something, and from where: a signed-in user, "cli", "bootstrap" or "anonymous". */
export interface Actor {
  readonly name: string;
  readonly ip?: string | null;
  readonly requestId?: string | null;
}

export const CLI_ACTOR: Actor = Object.freeze({ name: 'cli' });

export interface AuditEvent {
  /** Dotted, past tense: "user.created", "session.signed_in", "token.revoked". */
  readonly action: string;
  /** What it happened to: a user name, "token 12". */
  readonly target?: string | null;
  /** The changed fields before and after; never a password, hash or token. */
  readonly before?: Readonly<Record<string, unknown>> | null;
  readonly after?: Readonly<Record<string, unknown>> | null;
}

const FORBIDDEN_KEYS = /password|hash|token_secret|secret/i;

function serialize(state: Readonly<Record<string, unknown>> | null | undefined): string | null {
  if (!state) return null;
  const leaked = Object.keys(state).find((key) => FORBIDDEN_KEYS.test(key));
  // A programming error, caught by tests: secrets never reach the audit log.
  if (leaked) throw new Error(`audit state must not carry "${leaked}"`);
  return JSON.stringify(state);
}

/**
 * Appends one event. Pass the transaction that makes the change, so the row
 * exists exactly when the change does. Nothing in the app updates or deletes
 * audit rows.
 */
export async function recordAudit(db: Queryable, actor: Actor, event: AuditEvent, at = Date.now()): Promise<void> {
  await db
    .insertInto('audit_event')
    .values({
      at,
      actor: actor.name.slice(0, 80),
      ip: actor.ip?.slice(0, 64) ?? null,
      request_id: actor.requestId?.slice(0, 64) ?? null,
      action: event.action,
      target: event.target?.slice(0, 200) ?? null,
      before_json: serialize(event.before),
      after_json: serialize(event.after),
    })
    .execute();
}

export interface AuditFilter {
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  /** Inclusive lower bound, ms since the epoch. */
  readonly from?: number | undefined;
  /** Exclusive upper bound, ms since the epoch. */
  readonly to?: number | undefined;
  /** Keyset paging: only events with a smaller id (older). */
  readonly before?: number | undefined;
  readonly limit: number;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: number;
  readonly actor: string;
  readonly ip: string | null;
  readonly requestId: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly before: unknown;
  readonly after: unknown;
}

function toEntry(row: AuditEventRow): AuditEntry {
  return {
    id: Number(row.id),
    at: Number(row.at),
    actor: row.actor,
    ip: row.ip,
    requestId: row.request_id,
    action: row.action,
    target: row.target,
    before: row.before_json === null ? null : (JSON.parse(row.before_json) as unknown),
    after: row.after_json === null ? null : (JSON.parse(row.after_json) as unknown),
  };
}

/** Newest first; `hasMore` says whether an older page exists. */
export async function findAuditEvents(db: Queryable, filter: AuditFilter): Promise<{ entries: AuditEntry[]; hasMore: boolean }> {
  let query = db.selectFrom('audit_event').selectAll();
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<', filter.to);
  if (filter.before !== undefined) query = query.where('id', '<', filter.before);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return { entries: rows.slice(0, filter.limit).map(toEntry), hasMore: rows.length > filter.limit };
}
