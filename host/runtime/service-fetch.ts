// The `fetch` for calling another service from a handler (a generated client's `fetch` option):
// each attempt is bounded by a timeout and by the current execution's signal (a request whose
// client left, or a shutdown, stops its outgoing calls too); idempotent methods are retried with
// backoff on network errors, timeouts and 502/503/504; the execution's request id goes along in
// x-request-id; and every attempt is published on 'jararaca:http-client:request', where a
// telemetry plugin adds traceparent.
import { tracingChannel } from '../core/diagnostics.ts';
import { JararacaError } from '../core/errors.ts';
import { currentExecution, type Execution } from '../core/execution.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRIED_STATUS = new Set([502, 503, 504]);
const channel = tracingChannel('jararaca:http-client:request');

export interface ServiceFetchOptions {
  /** Time allowed for each attempt, in ms (default 10000). */
  timeoutMs?: number;
  /** Retries after the first attempt, for GET, HEAD, OPTIONS, PUT and DELETE only (default 2). */
  retries?: number;
  /** Delay before the first retry in ms, doubled for each next one, with jitter (default 100). */
  backoffMs?: number;
  /** Longest delay between attempts, in ms (default 2000). */
  maxBackoffMs?: number;
  /** The header that carries the request id (default x-request-id). */
  requestIdHeader?: string;
  /** The fetch underneath (default: the global one). */
  fetch?: (input: Request) => Promise<Response>;
}

/** Every attempt of a call through serviceFetch failed (network error or timeout): a 503 when it escapes a route. */
export class UpstreamUnavailableError extends JararacaError {
  readonly statusCode = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super('JRR_UPSTREAM_UNAVAILABLE', message, options);
  }
}

/** The id a call made in this execution passes on: the incoming request's id for a route, the execution's otherwise. */
function requestIdOf(execution: Execution): string {
  if (execution.is('http')) return execution.details.request.id;
  return execution.id;
}

function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A `fetch` (Request in, Response out) for service-to-service calls:
 * `createTasksClient({ baseUrl: config.tasksUrl, fetch: serviceFetch({ timeoutMs: 2000 }) })`.
 */
export function serviceFetch(options: ServiceFetchOptions = {}): (input: Request) => Promise<Response> {
  const timeoutMs = options.timeoutMs ?? 10000;
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 2000;
  const header = options.requestIdHeader ?? 'x-request-id';
  const fetchImpl = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  return async (input: Request) => {
    const execution = currentExecution();
    const outer = [input.signal, ...(execution ? [execution.signal] : [])];
    const headers = new Headers(input.headers);
    if (execution && !headers.has(header)) headers.set(header, requestIdOf(execution));
    const attempts = IDEMPOTENT.has(input.method.toUpperCase()) ? retries + 1 : 1;
    // Read once, so every attempt can send it again.
    const body = input.body ? await input.arrayBuffer() : undefined;
    for (let attempt = 1; ; attempt++) {
      const event = { method: input.method, url: input.url, attempt, headers: new Headers(headers), status: undefined as number | undefined };
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([...outer, timeout]);
      try {
        const response = await channel.tracePromise(async () => {
          const res = await fetchImpl(new Request(input.url, { method: input.method, headers: event.headers, body, signal, redirect: input.redirect, credentials: input.credentials }));
          event.status = res.status;
          return res;
        }, event);
        if (attempt >= attempts || !RETRIED_STATUS.has(response.status)) return response;
        await response.body?.cancel();
      } catch (err) {
        // The caller or the execution gave up (client gone, shutdown): no retry, their reason.
        const given = outer.find((s) => s.aborted);
        if (given) throw given.reason;
        if (attempt >= attempts) {
          const what = timeout.aborted ? `no response within ${timeoutMs} ms` : (err as Error).message;
          throw new UpstreamUnavailableError(`${input.method} ${input.url}: ${what} (attempt ${attempt} of ${attempts}): check that the service runs at that address, or raise timeoutMs`, { cause: err });
        }
      }
      const delay = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
      await wait(delay / 2 + Math.random() * (delay / 2), AbortSignal.any(outer));
    }
  };
}
