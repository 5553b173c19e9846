// A command a declared plugin contributes (`migrate` from knex-session, `dlq` from message-bus):
// the declaration is loaded first, since which commands exist depends on its plugins.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDeclarationPath } from '../core/declaration.ts';
import { UsageError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { closest } from '../core/schema.ts';
import type { PluginCommandContext } from '../core/plugin.ts';
import { Host } from '../host.ts';
import type { CliIO } from './io.ts';

export async function runPluginCommand(name: string, argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: false, allowPositionals: true });
  const config = typeof values.config === 'string' ? path.resolve(values.config) : defaultDeclarationPath();
  // Logs go to stderr: a command's stdout is its output (for pipes).
  const logger = createLogger({}, 2);
  const host = await Host.load({ config, roles: [], logger });
  const provider = host.plugins.find((p) => p.definition.commands?.[name]);
  if (!provider) {
    const available = [...new Set(host.plugins.flatMap((p) => Object.keys(p.definition.commands ?? {})))];
    const guess = closest(name, [...available, 'run', 'dev', 'validate', 'help', 'init', 'openapi', 'asyncapi', 'gen-client']);
    throw new UsageError('JRR_USAGE', `unknown command '${name}'` + (guess ? ` (did you mean '${guess}'?)` : '') + (available.length ? `; this service's plugins add: ${available.join(', ')}` : ''));
  }
  const definition = provider.definition;
  const ctx: PluginCommandContext = {
    argv,
    io,
    entries: host.plugins.filter((p) => p.definition === definition).map((p) => ({ options: p.options, at: p.at })),
    service: host.service,
    file: host.declaration.file,
    resolvePath: (s) => host.declaration.resolveFrom(s),
    handlers: host.handlers,
    logger: host.logger,
    async start() {
      await host.startPlugins((p) => p.definition === definition);
      return { capability: (cap) => host.capability(cap), stop: () => host.stop() };
    },
  };
  try {
    return await definition.commands![name].run(ctx);
  } finally {
    await host.stop();
  }
}
