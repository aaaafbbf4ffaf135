import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseSeed, readSeedFile, SeedError } from '../../src/modules/accounts/seed.js';
import { ROOT } from '../support/paths.js';

describe('parseSeed', () => {
  test("reads the project's data/initial.json in the original's format", () => {
    const accounts = parseSeed(readFileSync(join(ROOT, 'data', 'initial.json'), 'utf8'));
    assert.deepEqual(accounts, [
      { acctid: 'ACCT100', paidCents: 6000, dueCents: 10000 },
      { acctid: 'ACCT200', paidCents: 11000, dueCents: 10000 },
      { acctid: 'ACCT300', paidCents: 0, dueCents: 0 },
    ]);
  });

  test('normalises ids and accepts amounts written as strings', () => {
    assert.deepEqual(parseSeed('[{"acctid":" acct9 ","paid":"1.50","due":2}]'), [{ acctid: 'ACCT9', paidCents: 150, dueCents: 200 }]);
  });

  test('names the entry and the problem when the file is wrong', () => {
    assert.throws(() => parseSeed('{'), /not valid JSON/);
    assert.throws(() => parseSeed('{}'), SeedError);
    assert.throws(() => parseSeed('[{"acctid":"A","paid":1}]'), /\[0\]\.due/);
    assert.throws(() => parseSeed('[{"acctid":"A","paid":1.001,"due":1}]'), /\[0\]\.paid .*at most two decimals/);
    assert.throws(() => parseSeed('[{"acctid":"A","paid":-1,"due":1}]'), /non-negative/);
    assert.throws(() => parseSeed('[{"acctid":"TOO-LONG-ACCOUNT-ID","paid":1,"due":1}]'), /at most 15 characters/);
    assert.throws(() => parseSeed('[{"acctid":"A","paid":1,"due":1},{"acctid":"a","paid":2,"due":2}]'), /A is listed twice/);
  });

  test('a missing file is reported with its path', async () => {
    await assert.rejects(readSeedFile('/nonexistent/initial.json'), /cannot read seed file \/nonexistent\/initial\.json: ENOENT/);
  });
});
