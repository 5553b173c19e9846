// Everything the CLI writes (a command's output, an error's message and stack) passes through
// redactUrl: a connection string quoted by a driver's error never reaches the terminal whole.
import { redactUrl } from '../core/logger.ts';
import type { CliIO } from './io.ts';

function redacting(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  return new Proxy(stream, {
    get(target, key) {
      if (key === 'write') {
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (...args: unknown[]) => boolean).call(target, typeof chunk === 'string' ? redactUrl(chunk) : chunk, ...rest);
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function redactingIO(io: CliIO): CliIO {
  return { stdout: redacting(io.stdout), stderr: redacting(io.stderr) };
}
