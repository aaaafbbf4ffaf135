import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { termsDaysText } from '../../src/modules/accounts/account-fields.js';
import { balanceCents, normalizeAcctId, paymentTermsLabel } from '../../src/modules/accounts/account.js';
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

describe('payment terms', () => {
  test('typed text is read as whole days from 0 to 365, blanks around forgiven', () => {
    for (const [typed, days] of [['0', 0], ['30', 30], [' 45 ', 45], ['007', 7], ['365', 365]] as const) {
      assert.equal(termsDaysText.parse(typed), days, typed);
    }
  });

  test('anything else is refused with one message a person understands', () => {
    for (const bad of ['', '   ', '366', '-1', '1.5', '30 days', '1e2', '+3', '3,0', '0x1f', '1000', 30, null]) {
      const parsed = termsDaysText.safeParse(bad);
      assert.equal(parsed.success, false, String(bad));
      assert.deepEqual(
        parsed.error?.issues.map((issue) => issue.message),
        ['Please enter the payment terms as a whole number of days from 0 to 365, such as 30 (0 means due on receipt).'],
        String(bad),
      );
    }
  });

  test('are written as invoices write them: Net 30, or Due on receipt for 0 days', () => {
    assert.equal(paymentTermsLabel(30), 'Net 30');
    assert.equal(paymentTermsLabel(1), 'Net 1');
    assert.equal(paymentTermsLabel(0), 'Due on receipt');
  });
});
