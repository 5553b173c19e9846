// `jararaca-host gen-client --out DIR`: a typed TypeScript client of the service (docs/contracts.md).
import { writeClient } from '../contracts/gen-client.ts';
import type { CliIO } from './io.ts';

export async function genClient(config: string, out: string, io: CliIO): Promise<number> {
  const written = await writeClient(config, out);
  io.stderr.write(`jararaca-host: wrote ${written.join(', ')}\n`);
  return 0;
}
