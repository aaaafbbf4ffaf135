import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { centsFromColumn, formatCents, InvalidAmountError, parseAmount } from '../../src/shared/money.js';

describe('parseAmount', () => {
  test("reads the seed file's numbers exactly", () => {
    assert.equal(parseAmount(60.0), 6000);
    assert.equal(parseAmount(100.0), 10000);
    assert.equal(parseAmount(0.1), 10);
    assert.equal(parseAmount(0.29), 29);
    assert.equal(parseAmount(1234567.89), 123456789);
  });

  test('reads decimal text with up to two decimals', () => {
    assert.equal(parseAmount('60'), 6000);
    assert.equal(parseAmount('60.5'), 6050);
    assert.equal(parseAmount(' 60.05 '), 6005);
    assert.equal(parseAmount('-10.00'), -1000);
    assert.equal(parseAmount('-0.00'), 0);
  });

  test('refuses what is not an exact amount instead of rounding it', () => {
    for (const bad of [0.001, 1e21, Number.NaN, Number.POSITIVE_INFINITY, '1.234', '1,00', '', 'abc', '1e3', '.5', '5.']) {
      assert.throws(() => parseAmount(bad), InvalidAmountError, String(bad));
    }
  });
});

describe('formatCents', () => {
  test('shows two decimals and the currency, as the original did', () => {
    assert.equal(formatCents(4000), '40.00 USD');
    assert.equal(formatCents(-1000), '-10.00 USD');
    assert.equal(formatCents(0), '0.00 USD');
    assert.equal(formatCents(5), '0.05 USD');
    assert.equal(formatCents(-5), '-0.05 USD');
    assert.equal(formatCents(123456789), '1234567.89 USD');
  });

  test('sums that go wrong in binary floating point stay exact in cents', () => {
    assert.equal(formatCents(parseAmount(0.1) + parseAmount(0.2)), '0.30 USD');
  });

  test('refuses a fraction of a cent', () => {
    assert.throws(() => formatCents(1.5), RangeError);
  });
});

describe('centsFromColumn', () => {
  test('accepts what each driver returns for BIGINT', () => {
    assert.equal(centsFromColumn(6000), 6000);
    assert.equal(centsFromColumn('6000'), 6000);
    assert.equal(centsFromColumn(6000n), 6000);
  });

  test('refuses values beyond exact integers', () => {
    assert.throws(() => centsFromColumn('9007199254740993'), RangeError);
  });
});
