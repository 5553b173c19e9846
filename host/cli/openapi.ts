// `jararaca-host openapi [--out FILE]`: the OpenAPI 3.1 document of the routes, without starting
// anything (docs/contracts.md). To stdout, or to FILE.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadOpenApiDocument } from '../contracts/openapi-document.ts';
import type { CliIO } from './io.ts';

export async function openapi(config: string, out: string | undefined, io: CliIO): Promise<number> {
  const text = JSON.stringify(await loadOpenApiDocument(config), null, 2) + '\n';
  if (out === undefined) {
    io.stdout.write(text);
    return 0;
  }
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFile(out, text);
  io.stderr.write(`jararaca-host: wrote ${out}\n`);
  return 0;
}
