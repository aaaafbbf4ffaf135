/**
 * The staff pages in a real browser (Debian's chromium through
 * playwright-core) against the running server: sign in from the redirect,
 * create a user, read the audit log, create an API token that is shown once,
 * sign out; and axe-core (WCAG 2.0/2.1 A and AA) finds nothing on each page,
 * in light and dark colour schemes, including its error and success states.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ADMIN_USERS_DONE } from '../../src/modules/staff/admin-users.views.js';
import { assertAccessible, OWN_SERVER_BROWSER_SKIP, startVisit, type BrowserVisit } from '../support/browser.js';
import { goodPassword, uniqueUsername, type TestUser } from '../support/staff.js';

// The admin is added to the server's own SQLite file, so this suite needs a server of its own.
describe('the staff pages in a real browser', { skip: OWN_SERVER_BROWSER_SKIP }, () => {
  let visit: BrowserVisit;
  /** The visit's page and its admin. */
  let page: Page;
  let admin: TestUser;
  const viewer = { name: uniqueUsername('viewer'), password: goodPassword() };
  let token = '';

  const url = (path: string) => visit.url(path);
  /** Clicks a button and waits for the page it leads to. */
  const submit = async (button: string, landsOn: string) => {
    await Promise.all([page.waitForURL(url(landsOn)), page.getByRole('button', { name: button, exact: true }).click()]);
  };

  before(async () => {
    // The refused sign-in (401) and form (400) are meant: visit.problems (collectProblems) leaves documents' statuses to the tests.
    visit = await startVisit({ role: 'admin' });
    ({ page, user: admin } = visit);
  });

  after(() => visit?.close());

  // The tests below are one visit, in order: each starts on the page the previous one left.

  test('a staff page sends an anonymous visitor to sign in, and a wrong password is refused', async () => {
    await page.goto(url('/admin/users'));
    assert.equal(page.url(), url('/login?next=%2Fadmin%2Fusers'));
    await assertAccessible(page, '/login');
    await page.getByLabel('User name').fill(admin.username);
    await page.getByLabel('Password').fill(`${admin.password}!`);
    await submit('Sign in', '/login');
    assert.match((await page.locator('.error-summary').textContent()) ?? '', /That user name and password did not work/);
    await assertAccessible(page, '/login after a failed sign-in');
  });

  test('signing in lands on the page asked for, as that admin', async () => {
    await page.getByLabel('User name').fill(admin.username);
    await page.getByLabel('Password').fill(admin.password);
    await submit('Sign in', '/admin/users');
    assert.equal((await page.locator('.signed-in > span').textContent())?.trim(), `Signed in as ${admin.username} (admin)`);
  });

  test('an admin creates a viewer through the form', async () => {
    await page.getByLabel('User name').fill(viewer.name);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByLabel('Initial password').fill('short');
    await submit('Create user', '/admin/users');
    assert.match((await page.locator('.error-summary').textContent()) ?? '', /There is a problem/);
    assert.equal(await page.getByLabel('Initial password').getAttribute('aria-invalid'), 'true');
    await assertAccessible(page, '/admin/users with a refused user');

    await page.getByLabel('Initial password').fill(viewer.password);
    await submit('Create user', '/admin/users?done=created');
    assert.equal((await page.locator('.flash-success').textContent())?.trim(), ADMIN_USERS_DONE.created);
    const row = page.locator('tbody tr', { has: page.locator('th', { hasText: viewer.name }) });
    assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 2), ['viewer', 'active']);
    await assertAccessible(page, '/admin/users');
  });

  test('the audit log shows who created the viewer', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(url('/admin/audit'));
    const created = page.locator('tbody tr', { hasText: 'user.created' }).filter({ hasText: viewer.name });
    assert.equal(await created.count(), 1);
    const [actor, action, target] = await created.locator('td').allTextContents();
    assert.deepEqual([actor, action, target], [admin.username, 'user.created', viewer.name]);
    await assertAccessible(page, '/admin/audit');
  });

  test('a new API token is shown once, then only its prefix', async () => {
    await page.goto(url('/me'));
    await page.getByLabel('Label').fill('browser test');
    await submit('Create token', '/me/tokens');
    token = ((await page.locator('code.token').textContent()) ?? '').trim();
    assert.match(token, /^crm_[A-Za-z0-9_-]{43}$/);
    await assertAccessible(page, '/me with a new token');

    // A fresh GET: page.reload() would send the token form again and make a second token.
    await page.goto(url('/me'));
    assert.equal(await page.locator('code.token').count(), 0);
    assert.ok(!(await page.content()).includes(token), 'the token is shown only once');
    const row = page.locator('tbody tr', { has: page.locator('th', { hasText: 'browser test' }) });
    assert.equal((await row.locator('td code').textContent())?.trim(), `${token.slice(0, 10)}…`);
    await assertAccessible(page, '/me');
  });

  test('signing out goes back to sign-in, and staff pages ask to sign in again', async () => {
    await submit('Sign out', '/login?signed_out=1');
    assert.equal((await page.locator('.flash').textContent())?.trim(), 'You have signed out.');
    await assertAccessible(page, '/login after signing out');
    await page.goto(url('/admin/users'));
    assert.equal(page.url(), url('/login?next=%2Fadmin%2Fusers'));
    assert.deepEqual(visit.problems, []);
  });
});
