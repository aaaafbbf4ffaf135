import nodemailer from 'nodemailer';

/** One message as it goes out; the Message-ID is the caller's, so a resend is the same message. */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly attachments?: readonly { readonly filename: string; readonly contentType: string; readonly content: Buffer }[];
}

/** What the SMTP server said when it took the message. */
export interface Accepted {
  readonly response: string;
}

/**
 * Why a send did not happen. Permanent: the server refused the message
 * itself (a 5xx answer to it); sending it again gives the same answer.
 * Everything else (no connection, timeouts, 4xx, TLS or sign-in trouble an
 * operator can fix) is temporary and worth another try.
 */
export class SendFailure extends Error {
  override name = 'SendFailure';
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<Accepted>;
  close(): void;
}

export interface TransportSettings {
  /** smtp:// (STARTTLS when offered) or smtps:// (TLS from the start), with user:pass when the server wants them. */
  readonly smtpUrl: string;
  readonly requireTls: boolean;
  readonly from: string;
  /** Connections kept open to the server; messages go out over them in parallel. */
  readonly connections?: number;
  /** Extra certificate authorities to trust (a private mail server; tests). */
  readonly ca?: string | Buffer;
  /** Connect, greeting and idle-socket limits. */
  readonly timeoutMs?: number;
}

/** nodemailer's errors carry the server's answer code, or a code of their own (ECONNECTION, ETIMEDOUT, EAUTH, ETLS…). */
function classify(error: unknown): SendFailure {
  const { responseCode, code, response, message } = (error ?? {}) as { responseCode?: number; code?: string; response?: string; message?: string };
  const flat = (text: string) => text.replace(/\s+/g, ' ').trim();
  // Sign-in (535) and TLS refusals are about the connection, not this message: they wait for the operator.
  const aboutConnection = code === 'EAUTH' || code === 'ETLS' || code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS';
  const permanent = !aboutConnection && typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
  // The server's answer when it refused the message ("550 No such mailbox"); else what went wrong, and what the server said if anything.
  const text =
    !aboutConnection && response
      ? flat(response)
      : `${code ? `${code}: ` : ''}${flat(message ?? String(error))}${response ? ` (the server said: ${flat(response)})` : ''}`;
  return new SendFailure(text.slice(0, 1000), permanent);
}

/** A pooled SMTP connection to the configured server. */
export function createMailTransport(settings: TransportSettings): MailTransport {
  const timeoutMs = settings.timeoutMs ?? 30_000;
  // nodemailer drops every other option when given a `url`, so the URL is taken apart here.
  const url = new URL(settings.smtpUrl);
  const secure = url.protocol === 'smtps:';
  const transporter = nodemailer.createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    ...(url.username === '' ? {} : { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }),
    pool: true,
    maxConnections: settings.connections ?? 8,
    maxMessages: Infinity,
    // STARTTLS is used whenever the server offers it; required, a server without it is refused.
    requireTLS: settings.requireTls,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    ...(settings.ca === undefined ? {} : { tls: { ca: settings.ca } }),
  });
  return {
    async send(mail) {
      try {
        const info = (await transporter.sendMail({
          from: settings.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          attachments: mail.attachments?.map(({ filename, contentType, content }) => ({ filename, contentType, content })),
        })) as { response?: string };
        return { response: String(info.response ?? '').slice(0, 1000) };
      } catch (error) {
        throw classify(error);
      }
    },
    close() {
      transporter.close();
    },
  };
}
