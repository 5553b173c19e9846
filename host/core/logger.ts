// Structured logs with pino. Credentials in URLs (postgres://user:secret@host) are masked in
// every line, whoever logs them, so a plugin cannot leak a password by logging its options.
import { pino, type Logger, type LoggerOptions } from 'pino';

const credentials = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]+@/gi;

/** `amqp://guest:guest@host` → `amqp://guest:***@host` */
export function redactUrl(text: string): string {
  return text.includes('://') ? text.replace(credentials, '$1***@') : text;
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error & Record<string, unknown>;
    for (const k of Object.getOwnPropertyNames(value)) copy[k] = scrub((value as unknown as Record<string, unknown>)[k], depth + 1);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

/** `fd` 2 sends the lines to stderr (for commands whose stdout is their output). */
export function createLogger(options: LoggerOptions = {}, fd: 1 | 2 = 1): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? 'info',
    ...options,
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? redactUrl(a) : a !== null && typeof a === 'object' && hasUrlText(a) ? scrub(a) : a));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  }, pino.destination({ fd, sync: true }));
}

// Scrubbing copies objects: only do it when some string inside mentions a URL.
function hasUrlText(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('://');
  if (depth > 4 || value === null || typeof value !== 'object') return false;
  // Only plain data and errors: a request or socket object is left to its serializer.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!(value instanceof Error) && !Array.isArray(value) && proto !== Object.prototype && proto !== null) return false;
  const entries = value instanceof Error ? [value.message, value.stack] : Object.values(value);
  return entries.some((v) => hasUrlText(v, depth + 1));
}
