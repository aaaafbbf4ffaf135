import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The customer link's token: which account, when it was made and until when
 * it works, signed with HMAC-SHA256 under a
 * key derived from SESSION_SECRET for this purpose alone (HKDF, info
 * "customer-link"), so a token is no use as a cookie signature and the other
 * way round. `v1.<payload>.<mac>`, both base64url: safe in a URL path segment.
 * The payload is `acctid:issuedAt:expires` (milliseconds and seconds in base
 * 36), so a token for the longest id is 90 characters, inside the router's
 * 100-character limit on a path parameter.
 */

const VERSION = 'v1';
const INFO = 'customer-link';
const DAY_MS = 86_400_000;
/** An account id is at most 15 characters; a token much longer than this was not made here. */
const TOKEN_MAX_LENGTH = 200;

/** The key for this purpose, derived once per secret. */
const keys = new Map<string, Buffer>();
function keyFor(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), INFO, 32));
    keys.set(secret, key);
  }
  return key;
}

const mac = (secret: string, payload: string) => createHmac('sha256', keyFor(secret)).update(`${VERSION}.${payload}`).digest();

export interface LinkClaims {
  readonly acctid: string;
  /** Milliseconds since the epoch; the link shows nothing from then on. */
  readonly expiresAt: number;
  /** Milliseconds since the epoch; revoking an account's links refuses every link made up to then. */
  readonly issuedAt: number;
}

export function signLinkToken(secret: string, claims: LinkClaims): string {
  const text = `${claims.acctid}:${claims.issuedAt.toString(36)}:${Math.floor(claims.expiresAt / 1000).toString(36)}`;
  const payload = Buffer.from(text).toString('base64url');
  return `${VERSION}.${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** When a link made at `now` for `days` days stops working. */
export function linkExpiry(now: number, days: number): number {
  return now + days * DAY_MS;
}

export type TokenReading =
  | { readonly ok: true; readonly claims: LinkClaims }
  /** Not made with this secret, changed, or not a token at all: it names no account. */
  | { readonly ok: false; readonly reason: 'invalid' }
  /** Genuine but past its time: it names an account, which the caller must not show. */
  | { readonly ok: false; readonly reason: 'expired'; readonly claims: LinkClaims };

const BASE36 = /^[0-9a-z]{1,11}$/;

function parseClaims(payload: string): LinkClaims | null {
  const [acctid, issued, expires, ...rest] = Buffer.from(payload, 'base64url').toString('utf8').split(':');
  if (rest.length > 0 || !acctid || !issued || !expires || !BASE36.test(issued) || !BASE36.test(expires)) return null;
  const issuedAt = parseInt(issued, 36);
  const expiresSeconds = parseInt(expires, 36);
  if (!Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(expiresSeconds * 1000)) return null;
  return { acctid, issuedAt, expiresAt: expiresSeconds * 1000 };
}

/** Checks the signature first (in constant time), then the time; revocation is the caller's (the account's revocation time in the database). */
export function readLinkToken(secret: string, token: string, now: number): TokenReading {
  const parts = token.length > TOKEN_MAX_LENGTH ? [] : token.split('.');
  const [version, payload, signature] = parts;
  if (parts.length !== 3 || version !== VERSION || !payload || !signature || !/^[A-Za-z0-9_-]+$/.test(payload + signature)) return { ok: false, reason: 'invalid' };
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, payload);
  // base64url decoding ignores trailing bits: compare the canonical text too, so one token has exactly one spelling.
  if (given.length !== expected.length || !timingSafeEqual(given, expected) || given.toString('base64url') !== signature) return { ok: false, reason: 'invalid' };
  const claims = parseClaims(payload);
  if (!claims) return { ok: false, reason: 'invalid' };
  return now >= claims.expiresAt ? { ok: false, reason: 'expired', claims } : { ok: true, claims };
}
