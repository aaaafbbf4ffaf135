/**
 * A real browser (Debian's chromium through playwright-core) against the
 * running server: the form works with the page's own CSP and cookies, and a
 * form on another site that posts to us is refused.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startServer, type ServerProcess } from '../support/server-process.js';

// Debian's chromium here; CI runners with Google Chrome set CHROMIUM_PATH.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The reason ends with '; to run: COMMAND' (test/support/tools.ts skipReason), which the not-run reporter prints.
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed; to run: apt-get install -y chromium`;
if (missing && process.env.CI === 'true') throw new Error(`${missing}; CI=true requires the browser tests`);

describe('in a real browser', { skip: missing }, () => {
  let server: ServerProcess | undefined;
  let baseUrl = process.env.CRM_BASE_URL ?? '';
  let browser: Browser;
  let evilSite: Server;
  let evilUrl = '';

  before(async () => {
    if (!process.env.CRM_BASE_URL) {
      server = await startServer();
      baseUrl = server.baseUrl;
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    // Another origin (plain HTTP on another port) hosting a form that targets our lookup.
    evilSite = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<form method="post" action="${baseUrl}/"><input name="acctid" value="ACCT100"><button id="go">Go</button></form>`);
    });
    await new Promise<void>((resolve) => evilSite.listen(0, '127.0.0.1', resolve));
    const address = evilSite.address();
    evilUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => evilSite?.close(resolve));
    await server?.cleanup();
  });

  test('typing an id and pressing Submit shows its balance, with no CSP or console errors', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const problems: string[] = [];
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(`${baseUrl}/`);
    await page.fill('#acctid', 'acct100');
    await Promise.all([page.waitForURL(`${baseUrl}/`), page.click('button[type=submit]')]);
    assert.equal((await page.textContent('.result'))?.trim(), 'Account balance: 40.00 USD');
    await page.fill('#acctid', 'NOPE1');
    await page.click('button[type=submit]');
    assert.match((await page.textContent('.problem')) ?? '', /Unknown account number; please try again/);
    assert.equal(await page.evaluate<string>('getComputedStyle(document.querySelector("header")).backgroundColor'), 'rgb(20, 33, 61)', 'the stylesheet applies (the top bar takes its --topbar colour)');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a form on another site that posts to the lookup is refused', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/`);
    await page.goto(evilUrl);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('#go')]);
    assert.equal(response?.status(), 403);
    assert.doesNotMatch(await page.content(), /Account balance/);
    await context.close();
  });
});
