import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { securityHeaders } from '../../src/platform/http/security-headers.js';

describe('securityHeaders', () => {
  test("records helmet's headers once, with our CSP and referrer policy", () => {
    const headers = securityHeaders({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'self'"], scriptSrc: ["'none'"] } },
      referrerPolicy: { policy: 'same-origin' },
    });
    assert.equal(headers['content-security-policy'], "default-src 'self';script-src 'none'");
    assert.equal(headers['referrer-policy'], 'same-origin');
    assert.match(headers['strict-transport-security'] ?? '', /^max-age=\d+; includeSubDomains$/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['x-frame-options'], 'SAMEORIGIN');
    assert.ok(Object.isFrozen(headers));
  });

  test('a header switched off is not sent', () => {
    assert.equal(securityHeaders({ xFrameOptions: false })['x-frame-options'], undefined);
  });

  test('an invalid option fails at start-up, not per request', () => {
    assert.throws(() => securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ['bad;value'] } } }));
  });
});
