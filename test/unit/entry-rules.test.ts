/** The ledger's entry rules that need no database. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokenEntryRules } from '../../src/modules/ledger/index.js';

test('an adjustment memo of only invisible characters (zero-width, format, blank fillers) counts as no memo', () => {
  for (const memo of ['', '   ', '\u200b', '\u200b\u200c\u200d', '\u2060\ufeff', ' \u00a0\u3000', '\u3164', '\u2800', '\u034f', '\u00ad\u061c\u180e']) {
    const rules = brokenEntryRules({ kind: 'adjustment', amountCents: 100, memo }).map((broken) => broken.rule);
    assert.deepEqual(rules, ['adjustment-without-memo'], JSON.stringify(memo));
  }
  for (const memo of ['x', 'Refund \u200b', '\u00e9', '\ud83d\udc4d', '\u0645']) {
    assert.deepEqual(brokenEntryRules({ kind: 'adjustment', amountCents: 100, memo }), [], JSON.stringify(memo));
  }
});
