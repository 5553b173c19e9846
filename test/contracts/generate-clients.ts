// Shared by the client generator tests: the AsyncAPI document of examples/tasks and the files the
// WebSocket and message generators write from it, into a fresh folder with a strict tsconfig.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { asyncApiDocument } from '../../host/contracts/asyncapi.ts';
import { generateMessagesClient } from '../../host/contracts/client-messages.ts';
import { generateWsClients } from '../../host/contracts/client-ws.ts';
import { createLogger } from '../../host/core/logger.ts';
import { Host } from '../../host/host.ts';
import { repoRoot, tempDir } from '../support/host.ts';

export async function generateExampleClients(): Promise<string> {
  const host = await Host.load({ config: path.join(repoRoot, 'examples/tasks/service.yaml'), roles: [], env: {}, logger: createLogger({ level: 'silent' }) });
  await host.validate();
  const doc = asyncApiDocument(host);
  await host.stop();
  const dir = tempDir();
  mkdirSync(path.join(dir, 'client'));
  for (const f of [...(await generateWsClients(doc)), ...(await generateMessagesClient(doc))]) writeFileSync(path.join(dir, 'client', f.path), f.text);
  writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: ['node'], typeRoots: [path.join(repoRoot, 'node_modules/@types')], skipLibCheck: true, allowImportingTsExtensions: true, noUnusedLocals: true }, include: ['**/*.ts'] }),
  );
  return dir;
}
