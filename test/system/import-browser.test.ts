/**
 * The import page in a real browser (Debian's chromium through
 * playwright-core) against the running server: axe-core (WCAG 2.0/2.1 A and
 * AA) finds nothing of any impact on the page, empty or with a report of
 * rejected rows, in light and dark colour schemes; and an import that
 * outlasts the idle-connection timeout still gets its page.
 *
 * crm-browser.test.ts makes the rest: the page reached from the navigation,
 * the browser's multipart upload with a bad row (nothing imported, the row
 * named by its line), the partial import, the CSV and JSON downloads, and
 * axe-core's serious and critical rules on each of those pages.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { assertAccessible, OWN_SERVER_BROWSER_SKIP, startVisit, type BrowserVisit } from '../support/browser.js';
import { uniqueAcctId } from '../support/test-databases.js';

// The admin is added to the server's own SQLite file, so this suite needs a server of its own.
describe('the import page in a real browser', { skip: OWN_SERVER_BROWSER_SKIP }, () => {
  let visit: BrowserVisit;

  before(async () => {
    // A short idle timeout, which the large upload below outlasts.
    visit = await startVisit({ role: 'admin', env: { CONNECTION_TIMEOUT_MS: '1000' } });
    await visit.signIn('/admin/import');
  });

  after(() => visit?.close());

  test('axe-core finds nothing on the page, empty or with a report of rejected rows', async () => {
    const { page, url } = visit;
    await assertAccessible(page, '/admin/import');
    const p = uniqueAcctId('BR');
    const file = { name: 'accounts.csv', mimeType: 'text/csv', buffer: Buffer.from(`acctid,name,email,phone,paid,due\n${p}A,Alice,,,1.00,2.00\n${p}B,Bob,not-an-email,,1,2\n`) };
    await page.getByLabel('CSV or JSON file').setInputFiles(file);
    await Promise.all([page.waitForURL(url('/admin/import')), page.getByRole('button', { name: 'Import', exact: true }).click()]);
    assert.match((await page.locator('.flash-error').textContent()) ?? '', /Nothing was imported: 1 of 2 rows were rejected/);
    await assertAccessible(page, '/admin/import with rejected rows');
  });

  test('an upload on a fresh connection whose import outlasts the idle-connection timeout still gets its report', async () => {
    // A browser reuses its kept-alive connection when it can; a file chosen slowly comes on a new one, where the
    // server's idle timeout (CONNECTION_TIMEOUT_MS, 1 s here) applies. Node's client on a connection of its own does that.
    const { page, url, server } = visit;
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
});
