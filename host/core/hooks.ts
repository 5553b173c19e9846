// Hooks read the current execution from AsyncLocalStorage. Plugins make their own with
// defineHook (useSession, usePublisher, useWsManager are built this way), so a hook missing
// its plugin can say which plugin to declare.
import type { ExecutionScope } from './scope.ts';
import { HookError } from './errors.ts';
import { currentExecution, type Execution } from './execution.ts';

/** Plugin names declared by the running host; set by the host at start. */
let declaredPlugins: ReadonlySet<string> = new Set();
export function setDeclaredPlugins(names: Iterable<string>): void {
  declaredPlugins = new Set(names);
}

export function useExecution(): Execution {
  const execution = currentExecution();
  if (!execution) {
    throw new HookError(
      'JRR_NO_EXECUTION',
      'useExecution() was called outside an execution. Hooks work inside a handler run by jararaca-host ' +
        '(an HTTP request, a WebSocket message, a bus message or a scheduled run), or inside runExecution().',
    );
  }
  return execution;
}

/** The execution's awilix scope: resolve providers, or register per-execution values. */
export function useContainer(): ExecutionScope {
  return useExecution().scope;
}

export interface HookSpec {
  /** The hook's name as users call it, e.g. `useSession`. */
  name: string;
  /** The plugin that provides it: its definePlugin({ name }) (for a plugin package, make that its package name, so the hint's `use:` line loads). */
  plugin: string;
  /** Falls back to this container token when the execution has no value of its own. */
  token?: string;
}

export interface Hook<T> {
  /** The value for the current execution; throws a HookError naming the plugin when absent. */
  (): T;
  /** Gives the value for one execution (called by the plugin, usually in intercept). */
  provide(execution: Execution, value: T): void;
  /** The value, or undefined, without throwing (for plugins that cooperate). */
  peek(execution?: Execution): T | undefined;
  readonly spec: HookSpec;
}

export function defineHook<T>(spec: HookSpec): Hook<T> {
  const key = Symbol(spec.name);
  const peek = (execution = currentExecution()): T | undefined => {
    if (!execution) return undefined;
    if (execution.hasLocal(key)) return execution.getLocal<T>(key);
    if (spec.token && execution.scope.hasRegistration(spec.token)) return execution.scope.resolve<T>(spec.token);
    return undefined;
  };
  const hook = (() => {
    const execution = currentExecution();
    if (!execution) {
      throw new HookError(
        'JRR_NO_EXECUTION',
        `${spec.name}() was called outside an execution. It works inside a handler run by jararaca-host ` +
          `(an HTTP request, a WebSocket message, a bus message or a scheduled run); in a constructor or at module load, inject a provider instead.`,
      );
    }
    const value = peek(execution);
    if (value !== undefined) return value;
    if (!declaredPlugins.has(spec.plugin)) {
      throw new HookError(
        'JRR_HOOK_PLUGIN_MISSING',
        `${spec.name}() needs the '${spec.plugin}' plugin, which this service does not declare: add\n` +
          `  interceptors:\n    - use: ${spec.plugin}\nto service.yaml.`,
      );
    }
    throw new HookError(
      'JRR_HOOK_NOT_PROVIDED',
      `${spec.name}() has no value in ${execution.handler.name}: the '${spec.plugin}' plugin is declared but did not provide one for this ${execution.kind} execution ` +
        `(check its options and this handler's metadata, and that it is listed before any interceptor that calls ${spec.name}()).`,
    );
  }) as Hook<T>;
  hook.provide = (execution, value) => execution.setLocal(key, value);
  hook.peek = peek;
  (hook as { spec: HookSpec }).spec = spec;
  return hook;
}

/** The service's validated `config` section. Needs the built-in `config` plugin. */
export const useConfig = defineHook<Record<string, unknown>>({ name: 'useConfig', plugin: 'config', token: 'config' }) as Hook<Record<string, unknown>> &
  (<T = Record<string, unknown>>() => T);
