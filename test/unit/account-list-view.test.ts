import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountListBody } from '../../src/modules/accounts/accounts.views.js';

const search = { q: 'a', filter: 'closed', sort: 'name', dir: 'asc' };

test('a page that stopped at the read bound says so, offers the next page, and does not claim that nothing matches', () => {
  const body = accountListBody({ search, accounts: [], stoppedEarly: true, nextHref: '/accounts?q=a&cursor=x', canCreate: false }).toString();
  assert.match(body, /This page stopped after looking through 1,000 accounts in this order; the next page carries on from there\./);
  assert.match(body, /None of the accounts looked through so far match\./);
  assert.doesNotMatch(body, /No accounts match this search/);
  assert.match(body, /rel="next">Next page</);
});

test('a complete empty page says that nothing matches, with no note about stopping', () => {
  const body = accountListBody({ search, accounts: [], stoppedEarly: false, canCreate: false }).toString();
  assert.match(body, /No accounts match this search\./);
  assert.doesNotMatch(body, /stopped after looking through/);
});
