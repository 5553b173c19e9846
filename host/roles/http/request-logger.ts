// Each request's logger (`request.log`, the execution's logger) is made when it first writes a
// line, not for every request: a pino child costs ~1–3 µs (its bindings serialised), and at the
// usual production levels (info with request logging off, warn) most requests never log. Lines
// that are written are the same as a pino child's: the request's bindings (reqId) included.
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, LogFn } from 'pino';

type PinoLike = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

class RequestLogger {
  readonly #parent: PinoLike;
  readonly #bindings: Bindings;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: PinoLike, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #real(): FastifyBaseLogger {
    return (this.#child ??= this.#parent.child(this.#bindings));
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  /** pino's, for code that checks before building an expensive line. */
  isLevelEnabled(level: string): boolean {
    return this.#child ? (this.#child as PinoLike).isLevelEnabled(level) : this.#parent.isLevelEnabled(level);
  }

  bindings(): Bindings {
    return (this.#real() as FastifyBaseLogger & { bindings(): Bindings }).bindings();
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }

  #write(level: Level, args: Parameters<LogFn>): void {
    if (this.#child || this.#parent.isLevelEnabled(level)) (this.#real()[level] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: Parameters<LogFn>): void {
    this.#write('fatal', args);
  }
  error(...args: Parameters<LogFn>): void {
    this.#write('error', args);
  }
  warn(...args: Parameters<LogFn>): void {
    this.#write('warn', args);
  }
  info(...args: Parameters<LogFn>): void {
    this.#write('info', args);
  }
  debug(...args: Parameters<LogFn>): void {
    this.#write('debug', args);
  }
  trace(...args: Parameters<LogFn>): void {
    this.#write('trace', args);
  }
  silent(): void {}
}

/** Fastify's `childLoggerFactory`: a route's own options (a `logLevel`) get a pino child at once. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // eslint-disable-next-line no-unreachable-loop -- "has any own key", without allocating
  for (const _key in options) return logger.child(bindings, options);
  return new RequestLogger(logger as PinoLike, bindings) as unknown as FastifyBaseLogger;
}
