/**
 * A real SMTP server for the outbox tests (smtp-server, the one nodemailer
 * is tested against), on a free port. It keeps what arrived, parsed with
 * mailparser, and can be told to answer a message with an error code, to
 * hold its final answer (so a test can act between DATA and the reply), or
 * to stop and start again on the same port.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface Received {
  readonly messageId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachments: readonly { filename: string; contentType: string; size: number }[];
  readonly secure: boolean;
}

/** How to answer the message with this subject: an SMTP error code and text, or a held answer. */
export type Answer = { readonly code: number; readonly text: string } | { readonly holdMs: number };

export interface TestSmtpServer {
  port: number;
  url: string;
  readonly received: Received[];
  /** Called once the message's DATA has fully arrived, before the server answers. */
  onData?: (received: Received) => void;
  answers: Map<string, Answer>;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startSmtpServer(options: Partial<SMTPServerOptions> = {}, port = 0): Promise<TestSmtpServer> {
  const received: Received[] = [];
  const state: TestSmtpServer = {
    port,
    url: '',
    received,
    answers: new Map(),
    stop: () => Promise.resolve(),
    start: () => Promise.resolve(),
  };
  let server: SMTPServer;
  const make = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // Pooled clients keep connections open; a stop must not wait for them.
      closeTimeout: 100,
      size: 20 * 1024 * 1024,
      ...options,
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const to = Array.isArray(mail.to) ? mail.to.map((address) => address.text).join(', ') : (mail.to?.text ?? '');
            const message: Received = {
              messageId: mail.messageId ?? '',
              to,
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              html: typeof mail.html === 'string' ? mail.html : '',
              attachments: mail.attachments.map((file) => ({ filename: file.filename ?? '', contentType: file.contentType, size: file.size })),
              secure: session.secure,
            };
            state.onData?.(message);
            const answer = state.answers.get(message.subject);
            if (answer && 'code' in answer) {
              const error = Object.assign(new Error(answer.text), { responseCode: answer.code });
              return callback(error);
            }
            received.push(message);
            if (answer && 'holdMs' in answer) setTimeout(() => callback(null, 'held then queued'), answer.holdMs);
            else callback(null, `queued as ${received.length}`);
          })
          .catch((error: unknown) => callback(error as Error));
      },
    });
  state.start = () =>
    new Promise((resolve, reject) => {
      server = make();
      server.once('error', reject);
      server.listen(state.port, '127.0.0.1', () => {
        state.port = (server.server.address() as AddressInfo).port;
        state.url = `smtp://127.0.0.1:${state.port}`;
        resolve();
      });
    });
  state.stop = () => new Promise((resolve) => server.close(() => resolve()));
  await state.start();
  return state;
}
