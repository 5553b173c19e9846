// Collapses a flood of identical log lines: for each key (what happened, where), the first
// `first` lines of an interval are written, the rest are counted, and one summary line per
// interval says how many were left out. A poison-message flood, a WebSocket client spamming bad
// frames or a reconnect loop then costs a few lines, not one per event.

/** The part of a pino logger this needs. */
export interface LevelLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type RepeatLevel = 'info' | 'warn' | 'error';

export interface RepeatedLogOptions {
  /** Lines written per key and interval before the rest are counted. Default 5. */
  first?: number;
  /** Default 60000. */
  intervalMs?: number;
  /** Keys tracked at once (memory bound); the oldest is forgotten beyond it. Default 1000. */
  maxKeys?: number;
}

interface KeyState {
  windowStart: number;
  written: number;
  suppressed: number;
  level: RepeatLevel;
  msg: string;
  timer?: NodeJS.Timeout;
}

export class RepeatedLog {
  readonly #logger: LevelLogger;
  readonly #first: number;
  readonly #intervalMs: number;
  readonly #maxKeys: number;
  readonly #keys = new Map<string, KeyState>();

  constructor(logger: LevelLogger, options: RepeatedLogOptions = {}) {
    this.#logger = logger;
    this.#first = options.first ?? 5;
    this.#intervalMs = options.intervalMs ?? 60000;
    this.#maxKeys = options.maxKeys ?? 1000;
  }

  info(key: string, obj: object, msg: string): void {
    this.log('info', key, obj, msg);
  }

  warn(key: string, obj: object, msg: string): void {
    this.log('warn', key, obj, msg);
  }

  error(key: string, obj: object, msg: string): void {
    this.log('error', key, obj, msg);
  }

  /** Writes the line unless `key` already had `first` lines in this interval. */
  log(level: RepeatLevel, key: string, obj: object, msg: string): void {
    const now = Date.now();
    let state = this.#keys.get(key);
    if (state && now - state.windowStart >= this.#intervalMs) {
      this.#summarize(key, state);
      state = undefined;
    }
    if (!state) {
      if (this.#keys.size >= this.#maxKeys) {
        const [oldest, old] = this.#keys.entries().next().value as [string, KeyState];
        this.#summarize(oldest, old);
      }
      state = { windowStart: now, written: 0, suppressed: 0, level, msg };
      this.#keys.set(key, state);
    }
    if (state.written < this.#first) {
      state.written++;
      this.#logger[level](obj, msg);
      return;
    }
    state.suppressed++;
    // The summary is due at the end of the interval even when the flood stops before it.
    state.timer ??= setTimeout(() => this.#summarize(key, state), this.#intervalMs - (now - state.windowStart)).unref();
  }

  /** Writes the pending summaries now (at shutdown). */
  flush(): void {
    for (const [key, state] of [...this.#keys]) this.#summarize(key, state);
  }

  #summarize(key: string, state: KeyState): void {
    clearTimeout(state.timer);
    if (this.#keys.get(key) === state) this.#keys.delete(key);
    if (state.suppressed === 0) return;
    const seconds = Math.round((Date.now() - state.windowStart) / 1000);
    this.#logger[state.level]({ repeated: key, suppressed: state.suppressed }, `${state.msg} (${state.suppressed} more like this in the last ${seconds} s, not logged)`);
  }
}
