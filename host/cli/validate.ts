// `jararaca-host validate`: what a start would find, without starting anything.
import path from 'node:path';
import { createLogger } from '../core/logger.ts';
import { Host } from '../host.ts';
import { buildHttpServer } from '../roles/http/server.ts';
import type { CliIO } from './io.ts';
import { ROLE_ENTRIES } from './roles.ts';

export async function validate(config: string, io: CliIO): Promise<number> {
  const host = await Host.load({ config, roles: [], logger: createLogger({ level: 'warn' }, 2) });
  // Plugins set up, controllers built with their dependencies, every handler kind served,
  // routes and their schemas compiled.
  try {
    await host.validate();
    const app = await buildHttpServer(host);
    await app.close();
  } finally {
    await host.stop();
  }
  const out: string[] = [`${path.relative(process.cwd(), host.declaration.file) || host.declaration.file}: service '${host.service.name}' is valid`];
  out.push(`interceptors (outermost first): ${host.plugins.map((p) => p.use).join(' → ') || 'none'}`);
  out.push(`providers: ${host.providers.map((p) => p.token).join(', ') || 'none'}`);
  out.push(`controllers: ${host.controllers.map((c) => c.cls.name).join(', ') || 'none'}`);
  for (const entry of Object.values(ROLE_ENTRIES)) out.push(...(await entry.describe(host)));
  const chains = host.handlers.all().filter((h) => h.middleware.length);
  if (chains.length) {
    out.push(`middleware chains, inside the interceptors, outermost first (${chains.length}):`);
    for (const h of chains) out.push(`  ${h.name} (${h.kind}): ${h.middleware.join(' → ')}`);
  }
  out.push(...host.describePlugins());
  io.stdout.write(out.join('\n') + '\n');
  return 0;
}
