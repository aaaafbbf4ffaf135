import { pino, type Logger } from 'pino';

/** JSON lines on stdout; anything that could carry a credential is redacted. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'globomantics-crm' },
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', '*.password', '*.csrf_token'],
      censor: '[redacted]',
    },
  });
}
