// The handler registry: every controller entry point of the service, by kind, and how to call
// one on the controller instance of an execution's scope, inside its middleware chain (composed
// here once per handler, so every role that calls `invoke` runs it).
import type { Execution, ExecutionKind, HandlerInfo } from './execution.ts';
import type { LoadedController } from './loaders.ts';
import type { MetadataKey } from './decorators.ts';
import { composeMiddleware, describeEntry, type MiddlewareEntry } from './middleware.ts';
import type { HandlerRegistry } from './plugin.ts';

export function createRegistry(controllers: readonly LoadedController[]): HandlerRegistry {
  const all: HandlerInfo[] = [];
  const tokens = new Map<HandlerInfo, string>();
  const chains = new Map<HandlerInfo, NonNullable<ReturnType<typeof composeMiddleware>>>();
  for (const c of controllers) {
    for (const h of c.meta.handlers) {
      const metadata = new Map<MetadataKey, unknown>(c.meta.classMetadata);
      for (const [k, v] of c.meta.methodMetadata.get(h.method) ?? []) metadata.set(k, v);
      // Class-level layers outside method-level ones, each in the order written.
      const layers = [...c.meta.classLayers, ...(c.meta.methodLayers.get(h.method) ?? [])] as unknown as MiddlewareEntry[];
      const info: HandlerInfo = {
        name: `${c.cls.name}.${String(h.method)}`,
        kind: h.kind,
        controller: c.cls,
        method: h.method,
        spec: { ...(c.meta.classes.get(h.kind) as object | undefined), ...(h.spec as object) },
        metadata,
        middleware: layers.map(describeEntry),
      };
      const chain = composeMiddleware(layers, info.name);
      if (chain) chains.set(info, chain);
      all.push(info);
      tokens.set(info, c.token);
    }
  }
  const byKind = new Map<string, HandlerInfo[]>();
  for (const h of all) byKind.set(h.kind, [...(byKind.get(h.kind) ?? []), h]);
  const instance = (execution: Execution, handler: HandlerInfo) => execution.scope.resolve<Record<string | symbol, unknown>>(tokens.get(handler) ?? '');
  // Not async: the method's own promise is returned as it is (an async wrapper would add a
  // promise and two microtask hops per execution); a synchronous throw becomes a rejection.
  const call = (execution: Execution, handler: HandlerInfo, args: unknown[]): unknown => {
    try {
      const target = instance(execution, handler);
      return (target[handler.method] as (...a: unknown[]) => unknown).apply(target, args);
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    all: () => all,
    // Each handler's kind is its decorator's, whose spec ExecutionKinds types: the one cast.
    ofKind: <K extends ExecutionKind>(kind: K) => (byKind.get(kind) ?? []) as unknown as readonly HandlerInfo<K>[],
    instance,
    invoke: (execution, handler, ...args) => {
      const chain = chains.get(handler);
      // The controller is built inside the chain: a guard that refuses never constructs it.
      // Promise.resolve hands a native promise back as it is: a sync method still gives a promise.
      return chain ? chain(execution, () => Promise.resolve(call(execution, handler, args))) : Promise.resolve(call(execution, handler, args));
    },
  };
}
