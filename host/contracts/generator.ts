// What a client generator is: it reads the service's contracts and returns files.
import type { Host } from '../host.ts';
import type { OpenApiDocument } from './openapi-document.ts';

/** What a generator reads: the validated (not started) host and the OpenAPI document. */
export interface ContractSources {
  readonly host: Host;
  readonly openapi: OpenApiDocument;
}

export interface GeneratedFile {
  /** Relative to DIR: 'rest.ts'. */
  path: string;
  text: string;
  /** Re-exported from DIR/index.ts (its exported names must not clash with other generators'). */
  exported?: boolean;
}

export interface ClientGenerator {
  readonly name: string;
  generate(sources: ContractSources): Promise<GeneratedFile[]>;
}
