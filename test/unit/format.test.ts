import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { balance, businessDate, configureDisplay, count, dateTag, money, moneyShort, shownTime, timeTag } from '../../src/platform/views/format.js';
import { cents } from '../../src/shared/money.js';

const NOW = Date.UTC(2026, 11, 5, 13, 32, 27);
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('display formats', () => {
  afterEach(() => configureDisplay({ locale: 'en-US', timeZone: 'UTC' }));

  test('money has thousands separators and the currency once; cents past 2^53 stay exact', () => {
    assert.equal(money(cents(12_462_331_564)), '124,623,315.64 USD');
    assert.equal(money(cents(-1234)), '-12.34 USD');
    assert.equal(money(cents(0)), '0.00 USD');
    assert.equal(money(2n ** 53n + 1n), '90,071,992,547,409.93 USD');
    assert.equal(count(1_000_000), '1,000,000');
    assert.equal(moneyShort(cents(1_230_000)), '12.3K');
  });

  test('the locale setting changes the separators', () => {
    configureDisplay({ locale: 'de-DE', timeZone: 'UTC' });
    assert.equal(money(cents(12_462_331_564)), '124.623.315,64 USD');
  });

  test('a business date is the calendar day it names, in any time zone, with the full date on hover', () => {
    assert.equal(businessDate('2026-12-05'), 'Dec 5, 2026');
    // Far from UTC either way, the day stays the day: a date has no time to shift.
    for (const timeZone of ['Pacific/Kiritimati', 'Etc/GMT+12']) {
      configureDisplay({ locale: 'en-US', timeZone });
      assert.equal(businessDate('2026-12-05'), 'Dec 5, 2026', timeZone);
    }
    assert.equal(dateTag('2027-01-04').value, '<time datetime="2027-01-04" title="Monday, January 4, 2027">Jan 4, 2027</time>');
    configureDisplay({ locale: 'de-DE', timeZone: 'UTC' });
    assert.equal(businessDate('2026-12-05'), '5. Dez. 2026');
  });

  test('a negative balance is a credit, shown with a pill rather than an alarm colour', () => {
    assert.equal(balance(cents(-1000)).value, '-10.00 USD <span class="pill pill-info">credit</span>');
    assert.equal(balance(cents(1000)).value, '10.00 USD');
  });

  test('times within the last week read as people say them; older ones as a date; the exact moment is in the title', () => {
    assert.equal(shownTime(NOW - 10_000, NOW), 'just now');
    assert.equal(shownTime(NOW - 5 * MIN, NOW), '5 min ago');
    assert.equal(shownTime(NOW - 2 * HOUR, NOW), '2 h ago');
    assert.equal(shownTime(NOW - 24 * HOUR, NOW), 'yesterday 1:32 PM');
    assert.equal(shownTime(NOW - 3 * 24 * HOUR, NOW), 'Wed 1:32 PM');
    assert.equal(shownTime(NOW - 30 * 24 * HOUR, NOW), 'Nov 5, 2026, 1:32 PM');
    assert.equal(
      timeTag(NOW - 5 * MIN, NOW).value,
      '<time datetime="2026-12-05T13:27:27.000Z" title="Saturday, December 5, 2026 at 1:27:27 PM UTC">5 min ago</time>',
    );
  });

  test('the business time zone decides what "yesterday" is and which clock is shown', () => {
    configureDisplay({ locale: 'en-GB', timeZone: 'Pacific/Auckland' });
    // 13:32 UTC is 02:32 the next day in Auckland; 15 hours earlier is still "yesterday" there.
    assert.equal(shownTime(NOW - 15 * HOUR, NOW), 'yesterday 11:32');
  });
});
