/** The customer link's token: what it says comes back, and a changed byte, another secret, time or a revocation refuse it. */
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { CUSTOMER_LINK_PREFIX, customerLinkFor, isRevoked } from '../../src/modules/customer-link/index.js';
import { readLinkToken, signLinkToken } from '../../src/modules/customer-link/link-token.js';

const SECRET = 'unit-test-secret-0123456789abcdef-0123';
const OTHER_SECRET = 'unit-test-secret-fedcba9876543210-9876';
const NOW = Date.UTC(2026, 11, 6, 9, 30, 0, 123);
const DAY = 86_400_000;

function tokenOf(url: string): string {
  const prefix = `https://crm.example.com${CUSTOMER_LINK_PREFIX}/`;
  assert.ok(url.startsWith(prefix), url);
  return url.slice(prefix.length);
}

/** The construction written out again, so a well-signed token can carry any payload. */
function signedBy(secret: string, payload: string): string {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'customer-link', 32));
  return createHmac('sha256', key).update(`v1.${payload}`).digest('base64url');
}

const link = (overrides: Partial<Parameters<typeof customerLinkFor>[0]> = {}) =>
  customerLinkFor({ secret: SECRET, baseUrl: 'https://crm.example.com', acctid: 'ACCT100', now: NOW, days: 30, ...overrides });

describe('the customer link token', () => {
  test('round trip: the link names the account, when it was made and when it stops working', () => {
    const token = tokenOf(link());
    assert.match(token, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, 'URL-safe, one path segment');
    assert.ok(tokenOf(link({ acctid: 'A'.repeat(15) })).length <= 90, 'the longest id fits the router\'s 100-character parameter');
    assert.deepEqual(readLinkToken(SECRET, token, NOW + DAY), { ok: true, claims: { acctid: 'ACCT100', issuedAt: NOW, expiresAt: Math.floor((NOW + 30 * DAY) / 1000) * 1000 } });
  });

  test('the base address may end with a slash; the link has one', () => {
    assert.equal(link({ baseUrl: 'https://crm.example.com/' }), link());
  });

  test('every changed character of the token is refused as invalid, naming no account', () => {
    const token = tokenOf(link());
    for (let index = 0; index < token.length; index += 1) {
      const original = token[index]!;
      const replacement = original === 'A' ? 'B' : 'A';
      const changed = `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
      assert.deepEqual(readLinkToken(SECRET, changed, NOW), { ok: false, reason: 'invalid' }, `position ${index}`);
    }
  });

  test('a payload naming another account with the old signature is refused', () => {
    const [version, , signature] = tokenOf(link()).split('.');
    const forged = Buffer.from(`ACCT200:${NOW.toString(36)}:${Math.floor((NOW + 30 * DAY) / 1000).toString(36)}`).toString('base64url');
    assert.deepEqual(readLinkToken(SECRET, `${version}.${forged}.${signature}`, NOW), { ok: false, reason: 'invalid' });
  });

  test('a token made with another secret is refused, and so are things that are not tokens', () => {
    assert.deepEqual(readLinkToken(SECRET, tokenOf(link({ secret: OTHER_SECRET })), NOW), { ok: false, reason: 'invalid' });
    for (const text of ['', 'v1', 'v1..', 'v2.abc.def', 'ACCT100', `${tokenOf(link())}.x`, 'v1.%00.%00', 'x'.repeat(5000)]) {
      assert.deepEqual(readLinkToken(SECRET, text, NOW), { ok: false, reason: 'invalid' }, JSON.stringify(text.slice(0, 20)));
    }
  });

  test('the signature is HMAC-SHA256 of "v1.<payload>" under HKDF-SHA256(secret, info "customer-link")', () => {
    const token = signLinkToken(SECRET, { acctid: 'ACCT100', issuedAt: NOW, expiresAt: NOW + DAY });
    const [, payload, signature] = token.split('.');
    assert.equal(signature, signedBy(SECRET, payload!));
  });

  test('a well-signed payload that is not the three claims is refused', () => {
    for (const claims of ['ACCT100:abc', 'ACCT100:soon!:5', ':abc:5', 'ACCT100:abc:5:6', 'ACCT100:ABC:5', `ACCT100:${'z'.repeat(12)}:5`, 'ACCT100:zzzzzzzzzzz:5', '']) {
      const payload = Buffer.from(claims).toString('base64url');
      assert.deepEqual(readLinkToken(SECRET, `v1.${payload}.${signedBy(SECRET, payload)}`, NOW), { ok: false, reason: 'invalid' }, claims);
    }
  });

  test('expired: from the expiry on, the token is refused as expired (and still names its account to the caller only)', () => {
    const token = tokenOf(link({ days: 1 }));
    const expiry = Math.floor((NOW + DAY) / 1000) * 1000;
    assert.equal(readLinkToken(SECRET, token, expiry - 1).ok, true);
    const reading = readLinkToken(SECRET, token, expiry);
    assert.equal(reading.ok, false);
    assert.equal(!reading.ok && reading.reason, 'expired');
  });

  test('revoked: a link made at or before the account\'s revocation is revoked, one made after is not', () => {
    assert.equal(isRevoked(NOW, null), false, 'never revoked');
    assert.equal(isRevoked(NOW, NOW + 1), true);
    assert.equal(isRevoked(NOW, NOW), true, 'the same millisecond counts as before');
    assert.equal(isRevoked(NOW + 1, NOW), false);
  });
});
