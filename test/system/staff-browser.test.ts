/**
 * The staff pages in a real browser (Debian's chromium through
 * playwright-core) against the running server: sign in from the redirect,
 * create a user, read the audit log, create an API token that is shown once,
 * sign out; and axe-core (WCAG 2.0/2.1 A and AA) finds nothing on each page,
 * in light and dark colour schemes, including its error and success states.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Result, RunOptions } from 'axe-core';
import type { Kysely } from 'kysely';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_USERS_DONE } from '../../src/modules/staff/admin-users.views.js';
import type { Database } from '../../src/schema.js';
import { serverDatabase } from '../attacks/support.js';
import { OWN_SERVER_SKIP, startServer, type ServerProcess } from '../support/server-process.js';
import { addUser, goodPassword, uniqueUsername, type TestUser } from '../support/staff.js';

// Debian's chromium here; CI runners with Google Chrome set CHROMIUM_PATH.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The reason ends with '; to run: COMMAND' (test/support/tools.ts skipReason), which the not-run reporter prints.
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed; to run: apt-get install -y chromium`;
if (missing && process.env.CI === 'true') throw new Error(`${missing}; CI=true requires the browser tests`);
// The admin is added to the server's own SQLite file, so this suite needs a server of its own.
const skip = missing || OWN_SERVER_SKIP;

/**
 * axe-core's browser build. The pages' CSP (script-src 'none') blocks
 * page.addScriptTag, and bypassCSP would check a page the CSP no longer
 * governs; page.evaluate runs through the DevTools protocol, which the CSP
 * does not restrict, so the page is checked exactly as a visitor gets it.
 */
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS: RunOptions = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] };

type Violation = Pick<Result, 'id' | 'impact' | 'help' | 'helpUrl'> & { readonly nodes: readonly { readonly target: string; readonly html: string; readonly summary: string }[] };

/** Each violation: rule, impact, help and link, then every element at fault with what is wrong with it. */
function describeViolations(where: string, violations: readonly Violation[]): string {
  const lines = [`axe-core found ${violations.length} violation(s) on ${where}:`];
  for (const v of violations) {
    lines.push(`- ${v.id} [${v.impact ?? 'unknown impact'}] ${v.help} (${v.helpUrl})`);
    for (const node of v.nodes) lines.push(`    at ${node.target}: ${node.html}`, ...node.summary.split('\n').map((line) => `      ${line}`));
  }
  return lines.join('\n');
}

/** Runs axe-core on the page as it is now, in the light and the dark colour scheme, and fails with what it found. */
async function assertAccessible(page: Page, where: string): Promise<void> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(async (options) => {
      const { axe } = globalThis as unknown as { axe: { run(options: RunOptions): Promise<{ violations: Result[] }> } };
      const results = await axe.run(options);
      return results.violations.map(({ id, impact, help, helpUrl, nodes }) => ({
        id,
        impact,
        help,
        helpUrl,
        nodes: nodes.map((node) => ({ target: node.target.join(' '), html: node.html, summary: node.failureSummary ?? '' })),
      }));
    }, AXE_OPTIONS);
    assert.equal(violations.length, 0, describeViolations(`${where} (${colorScheme})`, violations));
  }
  await page.emulateMedia({ colorScheme: null });
}

describe('the staff pages in a real browser', { skip }, () => {
  let server: ServerProcess;
  let baseUrl = '';
  let db: Kysely<Database>;
  let admin: TestUser;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Console errors (a CSP violation, a script error) and sub-resources (the CSS, the icon) that did not load. */
  const problems: string[] = [];
  const viewer = { name: uniqueUsername('viewer'), password: goodPassword() };
  let token = '';

  const url = (path: string) => `${baseUrl}${path}`;
  /** Clicks a button and waits for the page it leads to. */
  const submit = async (button: string, landsOn: string) => {
    await Promise.all([page.waitForURL(url(landsOn)), page.getByRole('button', { name: button, exact: true }).click()]);
  };

  before(async () => {
    server = await startServer();
    baseUrl = server.baseUrl;
    db = await serverDatabase(server);
    admin = await addUser(db, 'admin');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    context = await browser.newContext({ ignoreHTTPSErrors: true });
    page = await context.newPage();
    page.on('console', (message) => {
      // Chromium logs every 4xx page as a failed load; the refused sign-in (401) and form (400) are meant. Sub-resources are checked below.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource:')) problems.push(message.text());
    });
    page.on('response', (response) => {
      if (response.request().resourceType() !== 'document' && response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => problems.push(`${request.failure()?.errorText ?? 'failed'} ${request.url()}`));
  });

  after(async () => {
    await browser?.close();
    await db?.destroy();
    await server?.cleanup();
  });

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
    assert.deepEqual(problems, []);
  });
});
