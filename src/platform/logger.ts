import { pino, type Logger } from 'pino';

/**
 * JSON lines on stdout; anything that could carry a credential is redacted.
 * Writes are asynchronous (batched while one is in flight) so logging does not
 * stall requests under load; pino flushes what is pending when the process exits.
 */
export function createLogger(level: string): Logger {
  const options = {
    level,
    base: { service: 'globomantics-crm' },
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', '*.password', '*.csrf_token'],
      censor: '[redacted]',
    },
  };
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
