// The development mail catcher: an SMTP server that accepts every message and
// keeps the last MAILCATCHER_KEEP in memory, and an HTTP page and JSON API that
// list them. Nothing is relayed anywhere. Compose runs it for development and
// the container stage (profile "mailcatcher"); never point production at it.
//
//   SMTP  :1025 (MAILCATCHER_SMTP_PORT) - plain, no TLS; any AUTH is accepted
//   HTTP  :1080 (MAILCATCHER_HTTP_PORT)
//     GET    /                    the messages, newest first (HTML)
//     GET    /messages            the same as JSON (what tests read)
//     GET    /messages/ID         one message as JSON, with its HTML part
//     GET    /messages/ID/html    its HTML part, sandboxed (no script, no requests)
//     GET    /messages/ID/raw     the message as received (message/rfc822)
//     DELETE /messages            forget them all
//     GET    /healthz             200 while both servers listen
//
// Plain TypeScript that Node runs directly (type stripping): no build step.
import http from 'node:http';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const SMTP_PORT = Number(process.env.MAILCATCHER_SMTP_PORT ?? 1025);
const HTTP_PORT = Number(process.env.MAILCATCHER_HTTP_PORT ?? 1080);
const HOST = process.env.MAILCATCHER_HOST ?? '0.0.0.0';
const KEEP = Number(process.env.MAILCATCHER_KEEP ?? 500);
/** Bigger messages are refused (552) rather than held in memory. */
const MAX_BYTES = 25 * 1024 * 1024;

interface Caught {
  id: number;
  receivedAt: string;
  envelope: { from: string | null; to: string[] };
  messageId: string | null;
  from: string;
  to: string;
  subject: string;
  date: string | null;
  text: string;
  html: string | null;
  attachments: { filename: string | null; contentType: string; size: number }[];
  size: number;
  raw: Buffer;
}

const messages: Caught[] = [];
let nextId = 1;

const addresses = (a: AddressObject | AddressObject[] | undefined) => [a ?? []].flat().map((x) => x.text).join(', ');

const smtp = new SMTPServer({
  name: 'mailcatcher',
  banner: 'Globomantics CRM development mail catcher: nothing is delivered',
  disabledCommands: ['STARTTLS'],
  authOptional: true,
  allowInsecureAuth: true,
  size: MAX_BYTES,
  onAuth(_auth, _session, callback) {
    callback(null, { user: 'anyone' });
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
        callback(Object.assign(new Error('message too big for the mail catcher'), { responseCode: 552 }));
        return;
      }
      const raw = Buffer.concat(chunks);
      simpleParser(raw).then(
        (mail) => {
          const id = nextId++;
          messages.unshift({
            id,
            receivedAt: new Date().toISOString(),
            envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null, to: session.envelope.rcptTo.map((r) => r.address) },
            messageId: mail.messageId ?? null,
            from: addresses(mail.from),
            to: addresses(mail.to),
            subject: mail.subject ?? '',
            date: mail.date ? mail.date.toISOString() : null,
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : null,
            attachments: mail.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size })),
            size: raw.length,
            raw,
          });
          messages.length = Math.min(messages.length, KEEP);
          console.log(`caught #${id} for ${session.envelope.rcptTo.map((r) => r.address).join(', ')}: ${mail.subject ?? ''}`);
          callback(null, `Caught as #${id}`);
        },
        (err: Error) => callback(err),
      );
    });
  },
});

/** The listing's fields, without the bodies (JSON list) or with the HTML part (one message). */
function summary(m: Caught, withHtml = false) {
  const { id, receivedAt, envelope, messageId, from, to, subject, date, text, html, attachments, size } = m;
  const fields = { id, receivedAt, envelope, messageId, from, to, subject, date, text, attachments, size };
  return withHtml ? { ...fields, html } : { ...fields, hasHtml: html !== null };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(): string {
  const rows = messages.map((m) => `<tr><td>${m.id}</td><td>${escape(m.receivedAt)}</td><td>${escape(m.envelope.to.join(', '))}</td>` +
    `<td>${escape(m.subject)}</td><td><a href="/messages/${m.id}">json</a>${m.html !== null ? ` <a href="/messages/${m.id}/html">html</a>` : ''}` +
    ` <a href="/messages/${m.id}/raw">raw</a></td></tr><tr><td></td><td colspan="4"><pre>${escape(m.text.slice(0, 4000))}</pre></td></tr>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mail catcher (${messages.length})</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap;margin:0}</style>
</head><body><h1>Mail catcher</h1><p>${messages.length} message(s), newest first; nothing here was delivered. JSON: <a href="/messages">/messages</a>.</p>
<table><thead><tr><th>#</th><th>Received</th><th>To</th><th>Subject</th><th></th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

const web = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://mailcatcher');
  const json = (status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
  const one = /^\/messages\/(\d+)(\/html|\/raw)?$/.exec(url.pathname);
  if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
  if (req.method === 'GET' && url.pathname === '/') {
    return send(res, 200, 'text/html; charset=utf-8', page(), { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
  }
  if (req.method === 'GET' && url.pathname === '/messages') return json(200, messages.map((m) => summary(m)));
  if (req.method === 'DELETE' && url.pathname === '/messages') {
    messages.length = 0;
    return json(200, { deleted: true });
  }
  if (req.method === 'GET' && one) {
    const m = messages.find((x) => x.id === Number(one[1]));
    if (!m) return json(404, { error: `no message #${one[1]}` });
    if (one[2] === '/raw') return send(res, 200, 'message/rfc822', m.raw);
    if (one[2] === '/html') {
      if (m.html === null) return json(404, { error: `message #${m.id} has no HTML part` });
      // The message's own HTML, as a mail client shows it: no script, no requests out.
      return send(res, 200, 'text/html; charset=utf-8', m.html, { 'content-security-policy': "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'" });
    }
    return json(200, summary(m, true));
  }
  return json(404, { error: 'not found' });
});

smtp.on('error', (err) => console.error(`smtp: ${err.message}`));
const portOf = (server: { address(): string | { port: number } | null }) => {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : address;
};
// Port 0 picks free ports; the line says which (the tests read it).
smtp.listen(SMTP_PORT, HOST, () => {
  web.listen(HTTP_PORT, HOST, () => {
    console.log(`mail catcher: SMTP on ${HOST}:${portOf(smtp.server)}, messages at http://${HOST}:${portOf(web)}/`);
  });
});

function stop() {
  web.close();
  smtp.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
