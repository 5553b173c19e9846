// yaml-language-server (the server behind VS Code's YAML extension) as a real child process,
// spoken to over LSP on stdio: what an editor shows for a file with a `$schema` line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  CompletionRequest,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type CompletionItem,
  type CompletionList,
  type Diagnostic,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';

const require = createRequire(import.meta.url);

export interface YamlLanguageServer {
  /** Opens the file and resolves with the diagnostics the server publishes for it. */
  diagnostics(file: string): Promise<Diagnostic[]>;
  /** Completion items at a zero-based line and character of an opened file. */
  complete(file: string, line: number, character: number): Promise<CompletionItem[]>;
  close(): Promise<void>;
}

export async function startYamlLanguageServer(): Promise<YamlLanguageServer> {
  const bin = require.resolve('yaml-language-server/bin/yaml-language-server');
  const child: ChildProcess = spawn(process.execPath, [bin, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection: ProtocolConnection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published = new Map<string, Diagnostic[]>();
  const waiters = new Map<string, Array<(d: Diagnostic[]) => void>>();
  connection.onNotification(PublishDiagnosticsNotification.type, ({ uri, diagnostics }) => {
    published.set(uri, diagnostics);
    for (const resolve of waiters.get(uri)?.splice(0) ?? []) resolve(diagnostics);
  });
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    capabilities: { textDocument: { publishDiagnostics: {}, completion: { completionItem: { snippetSupport: true } } } },
    workspaceFolders: null,
  });
  await connection.sendNotification(InitializedNotification.type, {});
  await connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { yaml: { validate: true, completion: true, hover: true, schemaStore: { enable: false } } } });
  const opened = new Set<string>();
  const open = async (file: string) => {
    const uri = pathToFileURL(file).href;
    if (opened.has(uri)) return uri;
    opened.add(uri);
    await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text: readFileSync(file, 'utf8') } });
    return uri;
  };
  return {
    async diagnostics(file) {
      const uri = pathToFileURL(file).href;
      const got = new Promise<Diagnostic[]>((resolve) => waiters.set(uri, [...(waiters.get(uri) ?? []), resolve]));
      await open(file);
      return got;
    },
    async complete(file, line, character) {
      const uri = await open(file);
      const result = (await connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line, character } })) as CompletionList | CompletionItem[] | null;
      return Array.isArray(result) ? result : (result?.items ?? []);
    },
    async close() {
      await connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
      await connection.sendNotification(ExitNotification.type).catch(() => undefined);
      connection.dispose();
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        setTimeout(() => child.kill(), 2000).unref();
        await exited;
      }
    },
  };
}
