// Every error the host raises on purpose is a JararacaError with a stable code (JRR_*),
// so users and tests can match on `code` instead of message text. Every code has a row in the
// table of host/core/error-codes.ts (docs/errors.md).
import { addErrorCodeRows, errorCodeRow, type ErrorCode, type ErrorCodeRow } from './error-codes.ts';

export class JararacaError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Adds a plugin's (or an application's) codes to the table, so the CLI takes their exit codes
 * from it and tools can list them. Call it once at module load, next to the ErrorCodes
 * augmentation. Registering a code again with the same row is a no-op; with another row, an error.
 */
export function registerErrorCodes(added: Readonly<Record<string, ErrorCodeRow>>): void {
  const conflict = addErrorCodeRows(added);
  if (conflict) throw new JararacaError('JRR_ERROR_CODE_TAKEN', `registerErrorCodes(): the code ${conflict.taken} is already in the table (part '${conflict.part}'): pick another code`);
}

/** The exit code of jararaca-host for an error that ends it: its code's row says 2 or 1; anything else is 1. */
export function exitCodeOf(err: unknown): 1 | 2 {
  return err instanceof JararacaError && errorCodeRow(err.code)?.exit === 2 ? 2 : 1;
}

/** One problem in a service declaration, located in its file. */
export interface DeclarationProblem {
  file: string;
  line: number;
  column: number;
  /** JSON path in the declaration, e.g. `interceptors[2].with.url` ('' for the root). */
  path: string;
  message: string;
}

export function formatProblem(p: DeclarationProblem): string {
  const where = `${p.file}:${p.line}:${p.column}`;
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where} ${p.message}`;
}

/** A declaration with one or more mistakes; `problems` lists all of them. */
export class DeclarationError extends JararacaError {
  readonly problems: DeclarationProblem[];
  constructor(problems: DeclarationProblem[]) {
    const n = problems.length;
    super(
      'JRR_DECLARATION_INVALID',
      `${n} problem${n === 1 ? '' : 's'} in the service declaration:\n` +
        problems.map((p) => '  ' + formatProblem(p)).join('\n'),
    );
    this.problems = problems;
  }
}

/** A hook was called where it cannot work: outside an execution, or without its plugin. */
export class HookError extends JararacaError {}

/** Controller or provider wiring that cannot be resolved (unknown token, cycle...). */
export class ResolutionError extends JararacaError {
  /** Path of tokens being resolved when it failed, outermost first. */
  readonly resolutionPath: string[];
  constructor(message: string, resolutionPath: string[], options?: { cause?: unknown }) {
    super('JRR_RESOLUTION', message, options);
    this.resolutionPath = resolutionPath;
  }
}

/** A user module (controller, provider, plugin) that could not be loaded. */
export class ModuleLoadError extends JararacaError {}

/** Throw from a handler to answer with a 4xx/5xx status and a message the client may see. */
export class HttpError extends JararacaError {
  readonly statusCode: number;
  readonly details?: unknown;
  constructor(statusCode: number, message: string, details?: unknown) {
    super(`JRR_HTTP_${statusCode}`, message);
    this.statusCode = statusCode;
    this.details = details;
  }
  static badRequest(message: string, details?: unknown): HttpError {
    return new HttpError(400, message, details);
  }
  static notFound(message = 'Not Found'): HttpError {
    return new HttpError(404, message);
  }
  static conflict(message: string): HttpError {
    return new HttpError(409, message);
  }
  static unavailable(message: string): HttpError {
    return new HttpError(503, message);
  }
}

/**
 * A controller's handlers declared in a way that cannot run (a route declared twice, a schema
 * that does not compile, a WebSocket handler without its endpoint...). Its codes' rows say exit
 * code 2, like a declaration mistake.
 */
export class HandlerDeclarationError extends JararacaError {}

/** A role or command asked for that this build does not have yet, or that needs a plugin. */
export class RoleUnavailableError extends JararacaError {}

/** A command line that cannot be run as written (an unknown option, role or command). Exit code 2. */
export class UsageError extends JararacaError {}

/**
 * A framework function or decorator called with arguments it cannot work with (definePlugin()
 * without setup, a handler decorator on a static method...): a mistake in the calling code.
 */
export class ArgumentError extends JararacaError {}
