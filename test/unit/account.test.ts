import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { balanceCents, normalizeAcctId } from '../../src/modules/accounts/account.js';
import { cents } from '../../src/shared/money.js';

describe('normalizeAcctId', () => {
  test('upper-cases and trims, so lookups are case-insensitive', () => {
    assert.deepEqual(normalizeAcctId(' acct100 '), { ok: true, acctid: 'ACCT100' });
    assert.deepEqual(normalizeAcctId('Acct-2.x_9'), { ok: true, acctid: 'ACCT-2.X_9' });
  });

  test('accepts exactly 15 characters and refuses 16', () => {
    assert.equal(normalizeAcctId('A'.repeat(15)).ok, true);
    assert.deepEqual(normalizeAcctId('A'.repeat(16)), { ok: false, reason: 'too-long' });
  });

  test('refuses empty input, SQL metacharacters, blanks inside and non-ASCII', () => {
    assert.deepEqual(normalizeAcctId('   '), { ok: false, reason: 'empty' });
    for (const bad of ["A'1", 'A;--', 'A 1', 'ÄCCT', 'A%', '-ACCT', '<b>']) {
      assert.deepEqual(normalizeAcctId(bad), { ok: false, reason: 'bad-characters' }, bad);
    }
  });

  test('measures length after upper-casing (ß becomes SS)', () => {
    assert.equal(normalizeAcctId('ß'.repeat(8)).ok, false);
  });
});

describe('balanceCents', () => {
  test('is due minus paid', () => {
    assert.equal(balanceCents({ acctid: 'A', paidCents: cents(6000), dueCents: cents(10000) }), 4000);
    assert.equal(balanceCents({ acctid: 'A', paidCents: cents(11000), dueCents: cents(10000) }), -1000);
  });
});

describe('normalizeAcctId and non-ASCII letters', () => {
  test('letters that upper-case into ASCII (ı, ſ, ﬀ) are refused, not turned into valid ids', () => {
    for (const sneaky of ['acct1ı0', 'ſACCT', 'ﬀ100', 'ACCT100\u0000', 'ACCT\u200b100']) {
      assert.deepEqual(normalizeAcctId(sneaky), { ok: false, reason: 'bad-characters' }, JSON.stringify(sneaky));
    }
  });
});
