/**
 * The import page in a real browser (Debian's chromium through
 * playwright-core) against the running server: the multipart upload a
 * browser builds passes the staff scope's form check, the report shows each
 * rejected row, an import that outlasts the idle-connection timeout still
 * gets its page, the export downloads as a file, and axe-core (WCAG 2.0/2.1 A
 * and AA) finds nothing on the page, empty or with a report.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Result, RunOptions } from 'axe-core';
import type { Kysely } from 'kysely';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Database } from '../../src/schema.js';
import { serverDatabase } from '../attacks/support.js';
import { OWN_SERVER_SKIP, startServer, type ServerProcess } from '../support/server-process.js';
import { addUser, type TestUser } from '../support/staff.js';
import { uniqueAcctId } from '../support/test-databases.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed; to run: apt-get install -y chromium`;
if (missing && process.env.CI === 'true') throw new Error(`${missing}; CI=true requires the browser tests`);
const skip = missing || OWN_SERVER_SKIP;

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_OPTIONS: RunOptions = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] };

/** axe-core on the page as it is, light and dark; fails naming each rule and element at fault. */
async function assertAccessible(page: Page, where: string): Promise<void> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(async (options) => {
      const { axe } = globalThis as unknown as { axe: { run(options: RunOptions): Promise<{ violations: Result[] }> } };
      return (await axe.run(options)).violations.map(({ id, help, nodes }) => `${id}: ${help} at ${nodes.map((node) => node.target.join(' ')).join(', ')}`);
    }, AXE_OPTIONS);
    assert.deepEqual(violations, [], `${where} (${colorScheme})`);
  }
  await page.emulateMedia({ colorScheme: null });
}

describe('the import page in a real browser', { skip }, () => {
  let server: ServerProcess;
  let db: Kysely<Database>;
  let admin: TestUser;
  let browser: Browser;
  let page: Page;
  const url = (path: string) => `${server.baseUrl}${path}`;

  before(async () => {
    // A short idle timeout, which the large upload below outlasts.
    server = await startServer({ CONNECTION_TIMEOUT_MS: '1000' });
    db = await serverDatabase(server);
    admin = await addUser(db, 'admin');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await (await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true })).newPage();
    await page.goto(url('/login?next=%2Fadmin%2Fimport'));
    await page.getByLabel('User name').fill(admin.username);
    await page.getByLabel('Password').fill(admin.password);
    await Promise.all([page.waitForURL(url('/admin/import')), page.getByRole('button', { name: 'Sign in' }).click()]);
  });

  after(async () => {
    await browser?.close();
    await db?.destroy();
    await server?.cleanup();
  });

  test('the page is reachable from the navigation and accessible', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Import / export' }).click();
    await page.waitForURL(url('/admin/import'));
    await assertAccessible(page, '/admin/import');
  });

  test('a file with a bad row: nothing imported, the row listed with its line; then the good rows with the partial option', async () => {
    const p = uniqueAcctId('BR');
    const file = { name: 'accounts.csv', mimeType: 'text/csv', buffer: Buffer.from(`acctid,name,email,phone,paid,due\n${p}A,Alice,,,1.00,2.00\n${p}B,Bob,not-an-email,,1,2\n`) };
    await page.getByLabel('CSV or JSON file').setInputFiles(file);
    await Promise.all([page.waitForURL(url('/admin/import')), page.getByRole('button', { name: 'Import', exact: true }).click()]);
    assert.match((await page.locator('.flash-error').textContent()) ?? '', /Nothing was imported: 1 of 2 rows were rejected/);
    const row = page.locator('tbody tr').first();
    assert.equal(await row.locator('th').textContent(), '3');
    assert.deepEqual(await row.locator('td').allTextContents(), [`${p}B`, 'email: Please enter an email address like name@example.com.']);
    await assertAccessible(page, '/admin/import with rejected rows');

    await page.getByLabel('CSV or JSON file').setInputFiles(file);
    await page.getByLabel('Import the good rows even if some are bad').check();
    await Promise.all([page.waitForURL(url('/admin/import')), page.getByRole('button', { name: 'Import', exact: true }).click()]);
    assert.match((await page.locator('.flash-error').textContent()) ?? '', /1 accounts were imported and 0 updated; 1 rows were rejected/);
    const imported = await db.selectFrom('account').select('acctid').where('acctid', 'like', `${p}%`).execute();
    assert.deepEqual(imported, [{ acctid: `${p}A` }]);
  });

  test('an upload on a fresh connection whose import outlasts the idle-connection timeout still gets its report', async () => {
    // A browser reuses its kept-alive connection when it can; a file chosen slowly comes on a new one, where the
    // server's idle timeout (CONNECTION_TIMEOUT_MS, 1 s here) applies. Node's client on a connection of its own does that.
    const p = uniqueAcctId('BL').slice(0, 10);
    const rows = Array.from({ length: 60_000 }, (_, i) => `${p}${String(i).padStart(5, '0')},Customer ${i},,,1.00,2.00`);
    const form = new FormData();
    form.append('csrf_token', (await page.locator('input[name="csrf_token"]').first().getAttribute('value')) ?? '');
    form.append('file', new Blob([`acctid,name,email,phone,paid,due\n${rows.join('\n')}\n`]), 'large.csv');
    const encoded = new Request(url('/admin/import'), { method: 'POST', body: form });
    const body = Buffer.from(await encoded.arrayBuffer());
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = https.request(
        url('/admin/import'),
        { method: 'POST', agent: false, ca: readFileSync(server.caFile), headers: { cookie, 'content-type': encoded.headers.get('content-type') ?? '', 'content-length': body.length } },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    assert.equal(reply.status, 200);
    assert.match(reply.text, /Imported 60000 accounts/);
    const seconds = Number.parseFloat(/<dt>Time<\/dt><dd>([\d.]+) s<\/dd>/.exec(reply.text)?.[1] ?? '0');
    assert.ok(seconds > 1, `the import took ${seconds} s: longer than the 1 s idle timeout`);
  });

  test('the CSV export downloads as a file with the imported account', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^accounts-\d{4}-\d\d-\d\d\.csv$/);
    const text = readFileSync((await download.path()) ?? '', 'utf8');
    assert.match(text, /^acctid,name,email,phone,paid,due,balance,status\n/);
    assert.match(text, /\nBR[0-9A-F]+A,Alice,,,1\.00,2\.00,1\.00,open\n/);
  });
});
