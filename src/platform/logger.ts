import { pino, stdSerializers, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Properties of a database error that can carry a visitor's data: the SQL
 * with values inlined (mysql2's `sql`), bound parameters, and PostgreSQL's
 * row details. The code and message are kept; these are dropped.
 */
const DATA_BEARING_ERROR_FIELDS = ['sql', 'parameters', 'values', 'detail', 'where', 'internalQuery'];

export function serializeError(error: Error): Record<string, unknown> {
  const serialized = stdSerializers.err(error) as unknown as Record<string, unknown>;
  const scrub = (value: Record<string, unknown>) => {
    for (const field of DATA_BEARING_ERROR_FIELDS) Reflect.deleteProperty(value, field);
    const cause = value.cause;
    if (cause && typeof cause === 'object') scrub(cause as Record<string, unknown>);
  };
  scrub(serialized);
  return serialized;
}

/**
 * JSON lines on stdout, or (format 'pretty') one coloured line a record for
 * a person at a terminal; anything that could carry a credential is redacted
 * either way. JSON writes are asynchronous (batched while one is in flight) so
 * logging does not stall requests under load; pino flushes what is pending
 * when the process exits.
 */
export function createLogger(level: string, format: 'json' | 'pretty' = 'json'): Logger {
  const options = {
    level,
    base: { service: 'globomantics-crm' },
    serializers: { err: serializeError },
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', '*.password', '*.csrf_token'],
      censor: '[redacted]',
    },
  };
  if (format === 'pretty') return pino(options, pretty({ translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true }));
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
