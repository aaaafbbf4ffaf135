import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Signer } from '@fastify/cookie';
import { rememberingSigner } from '../../src/platform/http/remembering-signer.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

test('a remembering signer signs and unsigns exactly as the library signer does', () => {
  const library = new Signer(SECRET, 'sha256');
  const ours = rememberingSigner(SECRET);
  const signed = ours.sign('visitor-secret');
  assert.equal(signed, library.sign('visitor-secret'));
  assert.deepEqual(ours.unsign(signed), { valid: true, renew: false, value: 'visitor-secret' });
  // A value signed elsewhere with the same secret (another replica of the app) is valid too, the first time and again.
  const fromElsewhere = library.sign('other-visitor');
  assert.deepEqual(ours.unsign(fromElsewhere), { valid: true, renew: false, value: 'other-visitor' });
  assert.deepEqual(ours.unsign(fromElsewhere), { valid: true, renew: false, value: 'other-visitor' });
});

test('a forged or altered cookie is refused every time, even after the genuine one was remembered', () => {
  const ours = rememberingSigner(SECRET);
  const genuine = ours.sign('visitor-secret');
  const forged = new Signer('another-secret-of-thirty-two-characters', 'sha256').sign('visitor-secret');
  for (const attempt of [forged, forged, `${genuine}x`, genuine.replace('visitor', 'Visitor'), 'no-signature', '']) {
    assert.equal(ours.unsign(attempt).valid, false, attempt);
  }
  assert.equal(ours.unsign(genuine).valid, true);
});

test('a remembering signer remembers at most its bound, the least recently used forgotten first, and still checks what it forgot', () => {
  const library = new Signer(SECRET, 'sha256');
  let hmacs = 0;
  const counting = { ...library, unsign: (value: string) => (hmacs++, library.unsign(value)) };
  const ours = rememberingSigner(SECRET, 2, counting);
  const [a, b, c] = ['a', 'b', 'c'].map((value) => library.sign(value)) as [string, string, string];
  ours.unsign(a);
  ours.unsign(b);
  ours.unsign(a);
  assert.equal(hmacs, 2, 'a is checked once while remembered');
  ours.unsign(c);
  assert.equal(hmacs, 3);
  assert.deepEqual(ours.unsign(a), { valid: true, renew: false, value: 'a' });
  assert.equal(hmacs, 3, 'a, used more recently than b, is still remembered');
  assert.deepEqual(ours.unsign(b), { valid: true, renew: false, value: 'b' });
  assert.equal(hmacs, 4, 'b was forgotten and is checked again');
});
