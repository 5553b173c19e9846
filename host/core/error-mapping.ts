// Domain errors mapped to statuses, declared once on the error class (`@DomainError({ status:
// 404 })`, or `mapError(Cls, {...})` for a class you cannot decorate): `throw new TaskNotFound(id)`
// anywhere becomes that status with the framework's error body, and `retry: false` sends a
// failing message straight to its dead-letter queue. Looked up along the class chain, so a
// subclass inherits its parent's mapping unless it declares its own.
import { ArgumentError } from './errors.ts';
import { GuardRejected } from './middleware.ts';

export interface ErrorMapping {
  /** The HTTP status a client receives (400–599). The error's message is shown to the client. */
  readonly status: number;
  /** The body's `code` (default: the error's own string `code`, else `JRR_HTTP_<status>`). */
  readonly code?: string;
  /** false: a message handler that throws it is dead-lettered at once, without retries (default true). */
  readonly retry?: boolean;
}

type ErrorClass = abstract new (...args: never[]) => Error;

const mappings = new WeakMap<object, ErrorMapping>();

/** Declares the status (and retry policy) of an error class; the decorator form is @DomainError. */
export function mapError(cls: ErrorClass, mapping: ErrorMapping): void {
  if (typeof cls !== 'function') throw new ArgumentError('JRR_ERROR_MAPPING', 'mapError() needs an error class as its first argument');
  if (!Number.isInteger(mapping?.status) || mapping.status < 400 || mapping.status > 599) {
    throw new ArgumentError('JRR_ERROR_MAPPING', `the mapping of ${cls.name} needs a status from 400 to 599 (got ${String(mapping?.status)})`);
  }
  mappings.set(cls, Object.freeze({ ...mapping }));
}

/** On an error class: `@DomainError({ status: 404 }) class TaskNotFound extends Error {}`. */
export function DomainError(mapping: ErrorMapping) {
  return (value: ErrorClass, _context: ClassDecoratorContext): void => mapError(value, mapping);
}

/** The mapping declared for this error's class (or the nearest parent class), if any. */
export function errorMappingOf(err: unknown): ErrorMapping | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  for (let c: unknown = (err as object).constructor; typeof c === 'function' && c !== Object; c = Object.getPrototypeOf(c)) {
    const found = mappings.get(c);
    if (found) return found;
  }
  return undefined;
}

/**
 * Why a failed message must not be retried, or undefined when it may: a guard refused it (it
 * would refuse again), or its error class is mapped with `retry: false`.
 */
export function noRetryReason(err: unknown): string | undefined {
  if (err instanceof GuardRejected) return `refused by the guard ${err.guard}`;
  if (errorMappingOf(err)?.retry === false) return `${(err as Error).name} is mapped with retry: false`;
  return undefined;
}

/** What a mapped error answers: its status, the body's code, its message and details. */
export interface MappedError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/** The answer for an error whose class is mapped (@DomainError / mapError), or undefined: for the HTTP role, the WebSocket plugin, a plugin that answers errors its own way. */
export function mappedError(err: unknown): MappedError | undefined {
  const mapping = errorMappingOf(err);
  return mapping ? mappedErrorResponse(err as Error, mapping) : undefined;
}

function mappedErrorResponse(err: Error, mapping: ErrorMapping): MappedError {
  const own = (err as { code?: unknown }).code;
  const code = mapping.code ?? (typeof own === 'string' ? own : `JRR_HTTP_${mapping.status}`);
  const details = (err as { details?: unknown }).details;
  return details === undefined ? { status: mapping.status, code, message: err.message } : { status: mapping.status, code, message: err.message, details };
}
