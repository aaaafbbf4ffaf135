/** The staff pages' rate limit: per signed-in user, whatever page, a 429 page with Retry-After; others and the API unaffected. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testApp } from '../support/app.js';
import { addToken, addUser, signInWith } from '../support/staff.js';
import { openTestDatabase, TEST_DATABASES } from '../support/test-databases.js';

test('STAFF_RATE_LIMIT counts every staff page per signed-in user: the 4th in a minute is a 429 page with Retry-After; another user and the same user’s API token are unaffected', async () => {
  const { db } = await openTestDatabase(TEST_DATABASES[0]!);
  const app = await testApp(db!, { STAFF_RATE_LIMIT: '3', LOGIN_RATE_LIMIT: '0', API_RATE_LIMIT: '0' });
  try {
    const viewer = await addUser(db!, 'viewer');
    const other = await addUser(db!, 'viewer');
    const { cookie } = await signInWith(app, viewer.username, viewer.password);
    const { cookie: otherCookie } = await signInWith(app, other.username, other.password);
    const get = (url: string, headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });
    const statuses = [];
    for (const url of ['/accounts?q=a', '/dashboard', '/accounts?q=a&sort=name', '/me']) statuses.push((await get(url, { cookie })).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const limited = await get('/accounts?q=a', { cookie });
    assert.equal(limited.statusCode, 429);
    assert.match(String(limited.headers['retry-after']), /^[1-9]\d*$/);
    assert.match(String(limited.headers['content-type']), /^text\/html/);
    assert.match(limited.body, /Too many requests from your account\. Please wait \d+ seconds? and try again\./);
    assert.equal((await get('/accounts?q=a', { cookie: otherCookie })).statusCode, 200, 'another user has their own count');
    const token = await addToken(db!, viewer);
    assert.equal((await get('/api/v1/accounts?q=a', { authorization: `Bearer ${token}` })).statusCode, 200, 'the API counts apart');
  } finally {
    await app.close();
    await db!.destroy();
  }
});
