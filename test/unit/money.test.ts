import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addCents, cents, centsFromColumn, formatCents, InvalidAmountError, negateCents, parseAmount, subtractCents, type Cents } from '../../src/shared/money.js';

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
    assert.equal(formatCents(cents(4000)), '40.00 USD');
    assert.equal(formatCents(cents(-1000)), '-10.00 USD');
    assert.equal(formatCents(cents(0)), '0.00 USD');
    assert.equal(formatCents(cents(5)), '0.05 USD');
    assert.equal(formatCents(cents(-5)), '-0.05 USD');
    assert.equal(formatCents(cents(123456789)), '1234567.89 USD');
  });

  test('a sum past 2^53 cents, as a bigint, is shown to the last cent', () => {
    assert.equal(formatCents(3n * (2n ** 53n - 1n)), '270215977642229.73 USD');
    assert.equal(formatCents(-(2n ** 64n) - 5n), '-184467440737095516.21 USD');
  });

  test('sums that go wrong in binary floating point stay exact in cents', () => {
    assert.equal(formatCents(addCents(parseAmount(0.1), parseAmount(0.2))), '0.30 USD');
  });

  test('refuses a fraction of a cent', () => {
    assert.throws(() => formatCents(1.5 as Cents), RangeError);
  });
});

describe('cents', () => {
  test('takes whole numbers of cents', () => {
    assert.equal(cents(4000), 4000);
    assert.equal(cents(-1), -1);
    assert.equal(cents(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  });

  test('refuses a fraction, NaN, infinity and integers past 2^53', () => {
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, -(2 ** 60)]) {
      assert.throws(() => cents(bad), RangeError, String(bad));
    }
  });

  test('a plain number, such as a count, is not accepted where cents are expected', () => {
    const accounts = 3;
    // @ts-expect-error a count is a number, not Cents: it must go through cents() to become money.
    const asMoney: Cents = accounts;
    assert.equal(formatCents(cents(asMoney)), '0.03 USD');
  });
});

describe('arithmetic on cents', () => {
  test('adds, subtracts and negates exactly', () => {
    assert.equal(addCents(cents(10), cents(20)), 30);
    assert.equal(subtractCents(cents(6000), cents(10000)), -4000);
    assert.equal(negateCents(cents(250)), -250);
    assert.ok(Object.is(negateCents(cents(0)), 0), 'the negation of zero is 0, not -0');
  });

  test('refuses a result past 2^53 rather than rounding it', () => {
    assert.throws(() => addCents(cents(Number.MAX_SAFE_INTEGER), cents(1)), RangeError);
    assert.throws(() => subtractCents(cents(-Number.MAX_SAFE_INTEGER), cents(1)), RangeError);
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
