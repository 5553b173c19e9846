// The handler registry: every controller entry point of the service, by kind, and how to call
// one on the controller instance of an execution's scope.
import type { Execution, ExecutionKind, HandlerInfo } from './execution.ts';
import type { LoadedController } from './loaders.ts';
import type { MetadataKey } from './decorators.ts';
import type { HandlerRegistry } from './plugin.ts';

export function createRegistry(controllers: readonly LoadedController[]): HandlerRegistry {
  const all: HandlerInfo[] = [];
  const tokens = new Map<HandlerInfo, string>();
  for (const c of controllers) {
    for (const h of c.meta.handlers) {
      const metadata = new Map<MetadataKey, unknown>(c.meta.classMetadata);
      for (const [k, v] of c.meta.methodMetadata.get(h.method) ?? []) metadata.set(k, v);
      const info: HandlerInfo = {
        name: `${c.cls.name}.${String(h.method)}`,
        kind: h.kind,
        controller: c.cls,
        method: h.method,
        spec: { ...(c.meta.classes.get(h.kind) as object | undefined), ...(h.spec as object) },
        metadata,
      };
      all.push(info);
      tokens.set(info, c.token);
    }
  }
  const byKind = new Map<string, HandlerInfo[]>();
  for (const h of all) byKind.set(h.kind, [...(byKind.get(h.kind) ?? []), h]);
  const instance = (execution: Execution, handler: HandlerInfo) => execution.scope.resolve<Record<string | symbol, unknown>>(tokens.get(handler) ?? '');
  return {
    all: () => all,
    // Each handler's kind is its decorator's, whose spec ExecutionKinds types: the one cast.
    ofKind: <K extends ExecutionKind>(kind: K) => (byKind.get(kind) ?? []) as unknown as readonly HandlerInfo<K>[],
    instance,
    invoke: async (execution, handler, ...args) => {
      const target = instance(execution, handler);
      return (target[handler.method] as (...a: unknown[]) => unknown).apply(target, args);
    },
  };
}
