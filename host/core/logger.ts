// Structured logs with pino. Secrets in URLs and connection strings are masked in every line,
// whoever logs them: the redaction runs on the serialized line on its way to the file
// descriptor, so no logger child, serializer or object shape can route around it (pretty output
// formats the line after it was redacted). A line logged inside an execution carries its id,
// kind and handler, plus what plugins add (the telemetry plugin: trace_id, span_id).
import { createRequire } from 'node:module';
import { pino, type Logger, type LoggerOptions } from 'pino';
import { currentExecution, type Execution } from './execution.ts';

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
  /** Human-readable coloured lines (pino-pretty) instead of JSON; default: when the output is a terminal. */
  pretty?: boolean;
}

/** Fields a plugin adds to every line logged inside an execution (read when the line is written). */
export type LogFieldSource = (execution: Execution) => Record<string, unknown> | undefined;

const fieldSources: LogFieldSource[] = [];

/**
 * Adds fields to every log line written inside an execution, by any logger the host made
 * (the telemetry plugin adds trace_id and span_id). Returns a function that removes the source.
 */
export function addLogFields(source: LogFieldSource): () => void {
  fieldSources.push(source);
  return () => {
    const i = fieldSources.indexOf(source);
    if (i !== -1) fieldSources.splice(i, 1);
  };
}

// Runs per line written (not per execution): a line outside an execution costs one lookup. A
// fresh object every time: pino merges the line's own fields into what the mixin returns.
function executionFields(): Record<string, unknown> {
  const execution = currentExecution();
  if (!execution) return {};
  const fields: Record<string, unknown> = { execution: { id: execution.id, kind: execution.kind, handler: execution.handler.name } };
  for (const source of fieldSources) Object.assign(fields, source(execution));
  return fields;
}

// pino-pretty is loaded only when pretty lines are asked for (a JSON process never loads it).
type Prettify = (line: string) => string;
function prettifier(): Prettify {
  const require = createRequire(import.meta.url);
  const { prettyFactory } = require('pino-pretty') as { prettyFactory(options: Record<string, unknown>): Prettify };
  return prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service,execution', messageFormat: '{if execution.handler}[{execution.handler}] {end}{msg}' });
}

/** `fd` 2 sends the lines to stderr (for commands whose stdout is their output). */
export function createLogger(options: LoggerOptions & RedactOptions = {}, fd: 1 | 2 = 1): Logger {
  const { redact, pretty, ...rest } = options;
  const destination = pino.destination({ fd, sync: true });
  const prettify = (pretty ?? (fd === 1 ? process.stdout : process.stderr).isTTY === true) ? prettifier() : undefined;
  return pino(
    {
      level: process.env.LOG_LEVEL ?? 'info',
      mixin: executionFields,
      ...rest,
      ...(redact?.length ? { redact: { paths: [...redact], censor: '***' } } : {}),
    },
    { write: prettify ? (line: string) => destination.write(prettify(redactUrl(line))) : (line: string) => destination.write(redactUrl(line)) },
  );
}
