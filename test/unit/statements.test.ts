/** The statement's pure parts: the period rules and defaults, the running balance in date order, and text cut down to the PDF fonts' characters. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pdfText, statementPeriod } from '../../src/modules/statements/index.js';
import { statementLines } from '../../src/modules/statements/statement.js';
import type { LedgerEntry } from '../../src/modules/ledger/index.js';
import { cents } from '../../src/shared/money.js';

describe('the statement period', () => {
  const today = '2026-12-05';

  test('defaults: to is today, from the first day of to\'s month', () => {
    assert.deepEqual(statementPeriod({}, today), { period: { from: '2026-12-01', to: '2026-12-05' }, broken: [] });
    assert.deepEqual(statementPeriod({ to: '2026-02-28' }, today).period, { from: '2026-02-01', to: '2026-02-28' });
    assert.deepEqual(statementPeriod({ from: '2025-07-14' }, today).period, { from: '2025-07-14', to: '2026-12-05' });
    assert.deepEqual(statementPeriod({ from: '2026-12-05', to: '2026-12-05' }, today).period, { from: '2026-12-05', to: '2026-12-05' }, 'one day is a period');
  });

  test('each rule names its field: a day that does not exist, an end in the future, a start after the end', () => {
    assert.deepEqual(statementPeriod({ from: '2026-02-30', to: '2026-13-01' }, today).broken, [
      { field: 'to', rule: 'not-a-date' },
      { field: 'from', rule: 'not-a-date' },
    ]);
    assert.deepEqual(statementPeriod({ to: '2026-12-06' }, today).broken, [{ field: 'to', rule: 'in-future' }]);
    assert.deepEqual(statementPeriod({ from: '2026-12-06' }, today).broken, [{ field: 'from', rule: 'after-to' }]);
    assert.deepEqual(statementPeriod({ from: '2026-03-02', to: '2026-03-01' }, today).broken, [{ field: 'from', rule: 'after-to' }]);
    assert.deepEqual(statementPeriod({ from: '26-1-1' }, today).broken, [{ field: 'from', rule: 'not-a-date' }]);
  });
});

describe('the running balance', () => {
  const entry = (id: number, kind: LedgerEntry['kind'], amount: number, balanceAfter: number): LedgerEntry => ({
    id,
    acctid: 'A1',
    kind,
    amountCents: cents(amount),
    memo: '',
    effectiveOn: '2026-05-01',
    dueOn: null,
    reference: null,
    balanceAfterCents: cents(balanceAfter),
    actor: 'test',
    createdAt: 0,
  });

  test('runs from the opening balance in the order given (date, then id), not from the balance the ledger recorded', () => {
    const { lines, closing } = statementLines(cents(10_000), [entry(7, 'payment', 2_500, 99), entry(3, 'charge', 1_000, 99), entry(9, 'adjustment', -250, 99), entry(4, 'adjustment', 300, 99)]);
    assert.deepEqual(
      lines.map(({ id, balanceAfterCents }) => [id, balanceAfterCents]),
      [
        [7, 7_500],
        [3, 8_500],
        [9, 8_250],
        [4, 8_550],
      ],
    );
    assert.equal(closing, 8_550);
    assert.equal(statementLines(cents(-500), []).closing, -500, 'no entries: closing is opening');
  });
});

describe('text for the PDF fonts', () => {
  test('Latin-1 and the other WinAnsi characters stay as they are', () => {
    for (const text of ['Zoë Müller-Peña', 'Søren Ærø Çelik ß ÿ', 'Œuvre Šimek Žižka – — “quoted” ‘x’ € … • ™', 'plain ASCII ~!@#$%^&*()']) assert.equal(pdfText(text), text);
  });

  test('decomposed accents are composed first, so they stay too', () => {
    assert.equal(pdfText('Zoe\u0308 Pen\u0303a'), 'Zoë Peña');
  });

  test('characters the fonts lack are transliterated, never dropped or left to show as wrong glyphs', () => {
    assert.equal(pdfText('Łódź'), 'Lódz');
    assert.equal(pdfText('Дмитрий Ivanov'), 'Dmitriy Ivanov');
    assert.equal(pdfText('北京 Ltd'), 'BeiJing Ltd');
    assert.equal(pdfText('İstanbul Ğ ő'), 'Istanbul G o');
    assert.equal(pdfText('smile 😀'), 'smile :grinning:');
    for (const char of pdfText('Ελληνικά עברית العربية 한국어 ⅓ ﬁ')) {
      const code = char.codePointAt(0)!;
      assert.ok((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff), `${char} (U+${code.toString(16)}) is one the fonts have`);
    }
  });

  test('control characters become spaces', () => {
    assert.equal(pdfText('a\tb\nc\u0000d\u0085e'), 'a b c d e');
  });
});
