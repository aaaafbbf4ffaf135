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
 * either way. JSON writes are asynchronous and batched: lines wait until
 * LOG_BUFFER_BYTES have gathered or a second has passed, so a busy server
 * makes one write for many requests instead of one each (that write was a
 * twentieth of the lookup's CPU: decision 28); pino flushes what is pending
 * when the process exits (a SIGKILL loses at most that second's lines).
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
  const destination = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES });
  // Flushes only while lines come (sonic-boom's flush writes even with nothing pending); two ticks, in case one came during a write.
  let lastLine = 0;
  setInterval(() => {
    if (Date.now() - lastLine <= 2 * LOG_FLUSH_MS) destination.flush();
  }, LOG_FLUSH_MS).unref();
  const hooks = {
    streamWrite: (line: string) => {
      lastLine = Date.now();
      return line;
    },
  };
  return pino({ ...options, hooks }, destination);
}

const LOG_BUFFER_BYTES = 8192;
const LOG_FLUSH_MS = 1000;
