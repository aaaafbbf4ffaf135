import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import nodemailer from 'nodemailer';
import { ROOT } from '../support/paths.js';

const server = path.join(ROOT, 'scripts', 'mailcatcher', 'server.ts');

/** Starts the mail catcher as its image does (`node server.ts`) on free ports; its SMTP port and HTTP base URL. */
async function startCatcher(t: TestContext): Promise<{ smtpPort: number; base: string }> {
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, MAILCATCHER_SMTP_PORT: '0', MAILCATCHER_HTTP_PORT: '0', MAILCATCHER_HOST: '127.0.0.1', MAILCATCHER_KEEP: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the mail catcher did not start: ${out}${err}`)), 10_000);
    child.on('exit', (code) => reject(new Error(`the mail catcher exited with ${code}: ${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /SMTP on 127\.0\.0\.1:(\d+), messages at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ smtpPort: Number(m[1]), base: m[2]! });
      }
    });
  });
}

interface Listed { id: number; envelope: { from: string; to: string[] }; messageId: string; subject: string; text: string; hasHtml: boolean; attachments: { filename: string; size: number }[] }

test('the mail catcher keeps what nodemailer sends over plain SMTP with a login, and lists it as JSON and HTML', async (t) => {
  const { smtpPort, base } = await startCatcher(t);
  // As the worker would send to it in compose: smtp:// with credentials, no TLS offered.
  const transport = nodemailer.createTransport(`smtp://crm:whatever@127.0.0.1:${smtpPort}`);
  t.after(() => transport.close());
  const info = await transport.sendMail({
    from: 'Globex Billing <billing@globex.test>',
    to: 'Ada <ada@customer.test>',
    subject: 'Überfällig: <script>alert(1)</script>',
    text: 'Your balance is 1,234.50.',
    html: '<p>Your balance is <b>1,234.50</b>.</p><script>alert(2)</script>',
    attachments: [{ filename: 'statement.pdf', content: Buffer.from('%PDF-1.4 fake'), contentType: 'application/pdf' }],
  });
  assert.match(info.response, /^250 Caught as #1/);

  const list = (await (await fetch(`${base}/messages`)).json()) as Listed[];
  assert.equal(list.length, 1);
  const [m] = list;
  assert.deepEqual(m!.envelope, { from: 'billing@globex.test', to: ['ada@customer.test'] });
  assert.equal(m!.messageId, info.messageId);
  assert.equal(m!.subject, 'Überfällig: <script>alert(1)</script>');
  assert.equal(m!.text.trim(), 'Your balance is 1,234.50.');
  assert.equal(m!.hasHtml, true);
  assert.deepEqual(m!.attachments.map((a) => [a.filename, a.size]), [['statement.pdf', 13]]);

  const one = (await (await fetch(`${base}/messages/1`)).json()) as { html: string };
  assert.match(one.html, /<b>1,234\.50<\/b>/);
  const html = await fetch(`${base}/messages/1/html`);
  assert.match(html.headers.get('content-security-policy') ?? '', /^sandbox; default-src 'none'/);
  const raw = await (await fetch(`${base}/messages/1/raw`)).text();
  assert.ok(raw.includes(`Message-ID: ${info.messageId}`), 'the raw message lacks its Message-ID');

  const page = await (await fetch(`${base}/`)).text();
  assert.ok(page.includes('Überfällig: &#60;script&#62;alert(1)&#60;/script&#62;'), 'the subject is not escaped in the page');
  assert.ok(!page.includes('<script>'), 'the page carries a script');
  assert.equal((await fetch(`${base}/messages/99`)).status, 404);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});

test('the mail catcher keeps only the newest MAILCATCHER_KEEP messages, newest first, and DELETE forgets them', async (t) => {
  const { smtpPort, base } = await startCatcher(t);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false });
  t.after(() => transport.close());
  for (const n of [1, 2, 3, 4, 5]) await transport.sendMail({ from: 'a@x.test', to: 'b@y.test', subject: `message ${n}`, text: `${n}` });
  const subjects = async () => ((await (await fetch(`${base}/messages`)).json()) as Listed[]).map((m) => m.subject);
  assert.deepEqual(await subjects(), ['message 5', 'message 4', 'message 3']);
  assert.equal((await fetch(`${base}/messages`, { method: 'DELETE' })).status, 200);
  assert.deepEqual(await subjects(), []);
});
