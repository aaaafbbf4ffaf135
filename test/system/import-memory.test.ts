/**
 * Uploads through /admin/import to the real server process at the image's
 * heap configuration (the Dockerfile's NODE_OPTIONS): an ordinary 200,000-row dry run, and
 * hostile files (a row of 2.6 million commas, a header of 2.6 million
 * columns, a million short rows). The server survives each (it answers the
 * next request), its resident memory stays bounded, and each hostile file
 * gets a 4xx whose message names the line.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/schema.js';
import { residentKiB, serverDatabase } from '../attacks/support.js';
import { Browser, formToken } from '../support/https-client.js';
import { imageNodeOptions } from '../support/image-node-options.js';
import { OWN_SERVER_SKIP, startServer, type ServerProcess } from '../support/server-process.js';
import { addUser } from '../support/staff.js';

const IMAGE_NODE_OPTIONS = imageNodeOptions();
/** What the server may grow by during one upload: its heap filling up to the cap, young generation included, with room to spare; a file held whole (and parsed at once) outgrows it and the process dies. */
const GROWTH_MAX_MIB = 150;
const HEADER = 'acctid,name,email,phone,paid,due';

interface Upload {
  readonly status: number;
  readonly body: string;
  /** The server's largest resident set while the upload was sent and answered. */
  readonly peakMiB: number;
  readonly startMiB: number;
}

describe(`uploads at the image's heap configuration (${IMAGE_NODE_OPTIONS})`, { skip: OWN_SERVER_SKIP, timeout: 240_000 }, () => {
  let server: ServerProcess;
  let db: Kysely<Database> | undefined;
  let browser: Browser;
  let token: string;

  before(async () => {
    server = await startServer({ NODE_OPTIONS: IMAGE_NODE_OPTIONS });
    db = await serverDatabase(server);
    const admin = await addUser(db, 'admin');
    browser = new Browser(server.baseUrl, server.caFile);
    const signedIn = await browser.signIn(admin.username, admin.password);
    assert.equal(signedIn.status, 303, signedIn.body);
    const page = await browser.request('/admin/import');
    token = formToken(page.body) ?? '';
    assert.notEqual(token, '', 'the import page has a form token');
  });

  after(async () => {
    await db?.destroy();
    await server?.cleanup();
  });

  /** Posts the file as the page's form does (no client timeout: a large import answers only when done) and samples the server's memory meanwhile. */
  async function upload(name: string, file: string, fields: Record<string, string> = {}): Promise<Upload> {
    const form = new FormData();
    form.append('csrf_token', token);
    for (const [field, value] of Object.entries(fields)) form.append(field, value);
    form.append('file', new Blob([file]), name);
    const encoded = new Request(new URL('/admin/import', server.baseUrl), { method: 'POST', body: form });
    const body = Buffer.from(await encoded.arrayBuffer());
    const pid = server.child.pid ?? 0;
    const startMiB = residentKiB(pid) / 1024;
    let peakMiB = startMiB;
    const sampler = setInterval(() => {
      try {
        peakMiB = Math.max(peakMiB, residentKiB(pid) / 1024);
      } catch {
        // The process is gone: the next request tells.
      }
    }, 20);
    try {
      const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = https.request(
          new URL('/admin/import', server.baseUrl),
          {
            method: 'POST',
            agent: false,
            ca: readFileSync(server.caFile),
            headers: { cookie: browser.cookieHeader(), 'content-type': encoded.headers.get('content-type') ?? '', 'content-length': body.length },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
            response.on('error', reject);
          },
        );
        request.on('error', reject);
        request.end(body);
      });
      return { ...reply, peakMiB, startMiB };
    } finally {
      clearInterval(sampler);
    }
  }

  async function assertSurvived(what: string, sent: Upload | Error): Promise<Upload> {
    if (!(sent instanceof Error)) console.log(`${what}: status ${sent.status}, resident ${sent.startMiB.toFixed(0)} MiB before, peak ${sent.peakMiB.toFixed(0)} MiB`);
    const health = await browser.request('/healthz').catch((error: Error) => ({ status: 0, body: error.message }));
    assert.equal(health.status, 200, `the server answers after ${what} (${sent instanceof Error ? sent.message : `status ${sent.status}`}); stderr: ${server.stderr().slice(-600)}`);
    assert.ok(!(sent instanceof Error), `${what}: ${sent instanceof Error ? sent.message : ''}`);
    const growth = sent.peakMiB - sent.startMiB;
    assert.ok(growth < GROWTH_MAX_MIB, `${what}: the server grew by ${growth.toFixed(0)} MiB (at most ${GROWTH_MAX_MIB})`);
    return sent;
  }

  const send = (name: string, file: string, fields?: Record<string, string>) => upload(name, file, fields).catch((error: unknown) => error as Error);
  /** The flash message the report page shows, without markup. */
  const message = (page: string) => page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

  test('a 200,000-row (7.6 MB) dry run is checked and reported', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => `M${String(i).padStart(7, '0')},Customer number ${i},c${i}@example.com,+1 555 0100,12.34,56.78`);
    const file = `${HEADER}\n${rows.join('\n')}\n`;
    assert.ok(file.length > 7_500_000, `the file is ${file.length} bytes`);
    const sent = await assertSurvived('a 200,000-row dry run', await send('accounts.csv', file, { dry_run: '1' }));
    assert.equal(sent.status, 200, message(sent.body).slice(0, 2000));
    assert.match(message(sent.body), /Dry run, nothing was written: 200000 accounts would be imported, 0 updated and 0 skipped; 0 rows were rejected/);
  });

  test('a row of 2.6 million commas is refused with a 4xx naming its line', async () => {
    const file = `${HEADER}\nA1,Fine,,,1,2\n${','.repeat(2_600_000)}\n`;
    const sent = await assertSurvived('a row of 2.6M commas', await send('commas.csv', file));
    assert.ok(sent.status >= 400 && sent.status < 500, `status ${sent.status}`);
    assert.match(message(sent.body), /Line 3 has more than [\d,]+ values/);
  });

  test('a header of 2.6 million columns is refused with a 4xx naming line 1', async () => {
    const file = `acctid,paid,due${',x'.repeat(2_600_000)}\nA1,1,2\n`;
    const sent = await assertSurvived('a header of 2.6M columns', await send('wide.csv', file));
    assert.ok(sent.status >= 400 && sent.status < 500, `status ${sent.status}`);
    assert.match(message(sent.body), /Line 1 has more than [\d,]+ values/);
  });

  test('a million short rows are refused with a 4xx naming the first line past the limit', async () => {
    const rows = Array.from({ length: 1_000_000 }, (_, i) => `S${i},,,,0,0`);
    const file = `${HEADER}\n${rows.join('\n')}\n`;
    const sent = await assertSurvived('a million short rows', await send('short.csv', file, { dry_run: '1' }));
    assert.ok(sent.status >= 400 && sent.status < 500, `status ${sent.status}`);
    assert.match(message(sent.body), /Line [\d,]+ is past the [\d,]+ rows an upload may have/);
  });
});
