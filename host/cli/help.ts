// `--help`: after the host's own usage, the commands of the plugins the declaration declares
// (their `summary`), when a declaration is found and loads.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createLogger } from '../core/logger.ts';
import { Host } from '../host.ts';

export async function pluginCommandsHelp(config: string): Promise<string> {
  if (!existsSync(config)) return '';
  const shown = path.relative(process.cwd(), config) || config;
  let host: Host;
  try {
    host = await Host.load({ config, roles: [], logger: createLogger({ level: 'silent' }) });
  } catch {
    return `\nCommands of the declared plugins: ${shown} does not load (run 'jararaca-host validate --config ${shown}').\n`;
  }
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const plugin of host.plugins) {
    for (const [name, command] of Object.entries(plugin.definition.commands ?? {})) {
      if (seen.has(name)) continue;
      seen.add(name);
      lines.push(`  ${name.padEnd(14)} ${command.summary} (${plugin.use})`);
    }
  }
  return lines.length ? `\nCommands of the plugins ${shown} declares:\n${lines.join('\n')}\n` : '';
}
