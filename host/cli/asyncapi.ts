// `jararaca-host asyncapi [--config PATH] [--out FILE] [--doc-version V]`: the service's AsyncAPI 3
// document (JSON, or YAML when FILE ends in .yaml/.yml), written without starting anything:
// plugins are set up as for `validate` (nothing connects), controllers are checked.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { asyncApiDocument } from '../contracts/asyncapi.ts';
import { defaultDeclarationPath } from '../core/declaration.ts';
import { UsageError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { Host } from '../host.ts';
import type { CliIO } from './io.ts';

export async function asyncapi(argv: string[], io: CliIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' }, 'doc-version': { type: 'string' } } }));
  } catch (err) {
    throw new UsageError('JRR_USAGE', `asyncapi: ${(err as Error).message}`);
  }
  const config = values.config ? path.resolve(values.config) : defaultDeclarationPath();
  const host = await Host.load({ config, roles: [], logger: createLogger({ level: 'warn' }, 2) });
  let text: string;
  try {
    await host.validate();
    const doc = asyncApiDocument(host, { version: values['doc-version'] });
    text = values.out && /\.ya?ml$/i.test(values.out) ? stringify(doc) : JSON.stringify(doc, null, 2) + '\n';
  } finally {
    await host.stop();
  }
  if (!values.out) {
    io.stdout.write(text);
    return 0;
  }
  await writeFile(path.resolve(values.out), text);
  io.stderr.write(`jararaca-host: AsyncAPI document of '${host.service.name}' written to ${values.out}\n`);
  return 0;
}
