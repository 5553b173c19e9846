// Structured logs with pino. Secrets in URLs and connection strings are masked in every line,
// whoever logs them: the redaction runs on the serialized line on its way to the file
// descriptor, so no logger child, serializer or object shape can route around it.
import { pino, type Logger, type LoggerOptions } from 'pino';

// The authority's userinfo runs to the LAST '@' before the host: a password with an unencoded
// '@', ':' or '/' is still all masked. A string ends at whitespace, a quote or angle bracket.
// The lookbehind keeps it linear: a long run of letters is tried once, not from each letter.
const userinfo = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,31}:\/\/)([^\s"'<>]*@)/gi;
// password=, pass=, pwd=, secret=, token=, api_key=... in a query string or a key=value DSN.
const secretParam = /((?:^|[?&;\s,{(])[\w.-]{0,64}(?:pass|pwd|secret|token|api[-_]?key|credential)[\w.-]{0,64}=)([^&#\s"'<>;,)}]+)/gi;
// "password":"x" in a JSON line (an options object logged as is).
const secretKey = /((?<![\w.-])"[\w.-]{0,64}(?:pass|pwd|secret|token|api[-_]?key|credential)[\w.-]{0,64}"\s*:\s*")((?:[^"\\]|\\.)*)"/gi;
const mayHoldSecret = /:\/\/|pass|pwd|secret|token|api[-_]?key|credential/i;

/**
 * Masks the secrets in any text that holds URLs or connection strings:
 * `amqp://guest:guest@host` → `amqp://guest:***@host`, `redis://:p@ss@host` → `redis://:***@host`,
 * `postgres://host/db?user=u&password=x` → `postgres://host/db?user=u&password=***`,
 * `host=db password=x` → `host=db password=***`.
 */
export function redactUrl(text: string): string {
  if (!mayHoldSecret.test(text)) return text;
  return text
    .replace(userinfo, (_m, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      // A userinfo without a password is often a token (https://TOKEN@host): masked whole.
      return colon === -1 ? `${scheme}***@` : `${scheme}${info.slice(0, colon)}:***@`;
    })
    .replace(secretParam, '$1***')
    .replace(secretKey, '$1***"');
}

/** Extra pino `redact` paths (logging.redact in service.yaml): values at those keys become '***'. */
export interface RedactOptions {
  redact?: readonly string[];
}

/** `fd` 2 sends the lines to stderr (for commands whose stdout is their output). */
export function createLogger(options: LoggerOptions & RedactOptions = {}, fd: 1 | 2 = 1): Logger {
  const { redact, ...rest } = options;
  const destination = pino.destination({ fd, sync: true });
  return pino(
    {
      level: process.env.LOG_LEVEL ?? 'info',
      ...rest,
      ...(redact?.length ? { redact: { paths: [...redact], censor: '***' } } : {}),
    },
    { write: (line: string) => destination.write(redactUrl(line)) },
  );
}
