// Loading what a declaration names: plugins (built-in by folder name, or a package/path),
// providers (value, or a class/factory export) and controller modules. Every mistake is
// reported on the declaration with its position; nothing is started here.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { controllerMetadata, decoratedControllerClasses, type ControllerMetadata } from './decorators.ts';
import type { Declaration } from './declaration.ts';
import type { ServiceDeclaration } from './declaration.types.ts';
import { ModuleLoadError, type JararacaError } from './errors.ts';
import { importExport, importModule } from './modules.ts';
import { isPluginDefinition, type PluginDefinition, type Role } from './plugin.ts';
import { closest, compileSchema, formatPath, schemaIssues, type PathSegment } from './schema.ts';

export interface LoadedPlugin {
  /** As written after `use:`. */
  use: string;
  /** Its options had problems already reported (an unresolved ${VAR}): not checked further. */
  unresolved?: boolean;
  definition: PluginDefinition<unknown>;
  options: unknown;
  at: PathSegment[];
}

export interface LoadedController {
  token: string;
  cls: abstract new (...args: never[]) => unknown;
  meta: ControllerMetadata;
}

export type ProviderSpec = NonNullable<ServiceDeclaration['providers']>[string] & object;

export interface LoadedProvider {
  token: string;
  spec: ProviderSpec;
  target: unknown;
}

// From host/core/ (sources) or dist/host/core/ (built): the built-in plugins are ../../plugins/.
const pluginsDir = fileURLToPath(new URL('../../plugins/', import.meta.url));
const ownExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const builtinPlugins = new Set(readdirSync(pluginsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name));

/**
 * Loads everything the declaration names; mistakes are reported on `decl`. Plugins first, in
 * declared order (each one's `preload` runs before the next is imported), then providers and
 * controllers in parallel.
 */
export async function loadModules(decl: Declaration, roles: ReadonlySet<Role>): Promise<{ plugins: LoadedPlugin[]; providers: LoadedProvider[]; controllers: LoadedController[] }> {
  const plugins = await loadPlugins(decl, roles);
  const [providers, controllers] = await Promise.all([loadProviders(decl), loadControllers(decl)]);
  return { plugins, providers, controllers };
}

/** Runs each plugin's own load-time checks (cross-field rules, files that must exist...). */
export async function checkPlugins(decl: Declaration, plugins: readonly LoadedPlugin[]): Promise<void> {
  for (const p of plugins) {
    if (!p.definition.check || p.unresolved) continue;
    try {
      await p.definition.check({
        options: p.options,
        service: decl.service,
        at: p.at,
        report: (path, message, atKey) => decl.report(path, message, atKey),
        resolvePath: (s) => decl.resolveFrom(s),
      });
    } catch (err) {
      decl.report(p.at, `plugin '${p.use}' failed its checks: ${(err as Error).message}`);
    }
  }
}

// Two copies of the framework is one mistake of the whole process: said once, not per module.
function throwIfDuplicate(err: unknown): void {
  if ((err as JararacaError)?.code === 'JRR_DUPLICATE_INSTANCE') throw err;
}

async function loadPlugins(decl: Declaration, roles: ReadonlySet<Role>): Promise<LoadedPlugin[]> {
  // A non-list was already reported by the schema; there is nothing to load from it.
  const entries = Array.isArray(decl.service.interceptors) ? decl.service.interceptors : [];
  const loadOne = async (entry: (typeof entries)[number], i: number): Promise<LoadedPlugin | undefined> => {
    if (!entry || typeof entry.use !== 'string') return undefined;
    const at: PathSegment[] = ['interceptors', i];
    const isPath = entry.use.startsWith('.') || entry.use.startsWith('/');
    const specifier = !isPath && builtinPlugins.has(entry.use) ? new URL(`../../plugins/${entry.use}/index${ownExtension}`, import.meta.url).pathname : entry.use;
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(specifier, decl.file);
    } catch (err) {
      throwIfDuplicate(err);
      const guess = isPath ? undefined : closest(entry.use, [...builtinPlugins]);
      const hint = isPath ? '' : `${guess ? `: did you mean '${guess}'?` : ''} (built-in plugins: ${[...builtinPlugins].sort().join(', ')}; a path must start with ./ or ../)`;
      decl.report([...at, 'use'], `${(err as Error).message}${err instanceof ModuleLoadError && (err as ModuleLoadError).code === 'JRR_MODULE_LOAD' && !isPath ? hint : ''}`);
      return undefined;
    }
    const definition = [mod.default, mod.plugin].find(isPluginDefinition);
    if (!definition) {
      decl.report([...at, 'use'], `'${entry.use}' does not export a plugin: its default export must be the result of definePlugin({ name, setup })`);
      return undefined;
    }
    const options = structuredClone(entry.with ?? {});
    // An option whose ${VAR} did not resolve is already reported; checking its raw text
    // against the plugin's schema would only report the same mistake again.
    const prefix = formatPath([...at, 'with']);
    const unresolved = decl.problems.some((p) => p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`));
    if (unresolved) return { use: entry.use, definition, options, at, unresolved };
    let valid = true;
    if (definition.options !== undefined) {
      const validate = compileSchema(definition.options as Record<string, unknown> | boolean);
      if (!(valid = validate(options))) decl.reportIssues(schemaIssues(validate.errors, options, [...at, 'with']));
    }
    if (valid && definition.preload) {
      try {
        await definition.preload({ options, service: decl.service, roles });
      } catch (err) {
        decl.report([...at, 'use'], `plugin '${entry.use}' failed to preload: ${(err as Error).message}`);
      }
    }
    return { use: entry.use, definition, options, at };
  };
  // One after another, in declared order: what a plugin preloads is in place before the next loads.
  const loaded: Array<LoadedPlugin | undefined> = [];
  for (const [i, entry] of entries.entries()) loaded.push(await loadOne(entry, i));
  return loaded.filter((p): p is LoadedPlugin => p !== undefined);
}

async function loadProviders(decl: Declaration): Promise<LoadedProvider[]> {
  const providers = decl.service.providers;
  const entries = providers && typeof providers === 'object' && !Array.isArray(providers) ? Object.entries(providers) : [];
  const loaded = await Promise.all(
    entries.map(async ([token, spec]): Promise<LoadedProvider | undefined> => {
      if (!spec || typeof spec !== 'object') return undefined;
      // Several of value/class/factory is one mistake, already reported: loading would add noise.
      if (['value', 'class', 'factory'].filter((k) => k in spec).length > 1) return undefined;
      const key = spec.class !== undefined ? 'class' : spec.factory !== undefined ? 'factory' : undefined;
      if (!key) return { token, spec, target: spec.value };
      const reference = spec[key];
      if (typeof reference !== 'string' || !reference.includes('#')) return undefined; // the schema already said so
      try {
        const target = await importExport(reference, decl.file);
        if (typeof target !== 'function') {
          decl.report(['providers', token, key], `'${reference}' is a ${typeof target}, not a ${key === 'class' ? 'class' : 'function'}`);
          return undefined;
        }
        return { token, spec, target };
      } catch (err) {
        throwIfDuplicate(err);
        decl.report(['providers', token, key], (err as Error).message);
        return undefined;
      }
    }),
  );
  return loaded.filter((p): p is LoadedProvider => p !== undefined);
}

async function loadControllers(decl: Declaration): Promise<LoadedController[]> {
  const entries = Array.isArray(decl.service.controllers) ? decl.service.controllers : [];
  const decoratedBefore = new Set(decoratedControllerClasses());
  const perModule = await Promise.all(
    entries.map(async (specifier, i): Promise<LoadedController[]> => {
      if (typeof specifier !== 'string') return [];
      let mod: Record<string, unknown>;
      try {
        mod = await importModule(specifier, decl.file);
      } catch (err) {
        throwIfDuplicate(err);
        decl.report(['controllers', i], (err as Error).message);
        return [];
      }
      const found: LoadedController[] = [];
      for (const value of new Set(Object.values(mod))) {
        const meta = controllerMetadata(value);
        if (meta && (meta.handlers.length || meta.classes.size)) {
          found.push({ token: '', cls: value as LoadedController['cls'], meta });
        }
      }
      if (!found.length) decl.report(['controllers', i], `'${specifier}' exports no controller: export a class decorated with @RestController, @MessageBusController, @WebSocketEndpoint or with @ScheduledAction methods`);
      for (const c of found) {
        if (c.meta.handlers.some((h) => h.kind === 'http') && !c.meta.classes.has('http')) {
          decl.report(['controllers', i], `${c.cls.name} has route decorators (@Get, @Post...) but no @RestController(prefix) on the class: add it (use @RestController('') for routes at the root)`);
        }
      }
      return found;
    }),
  );
  // A class decorated while these modules loaded that none of them exports serves nothing: say
  // so (a warning: a module may keep a decorated base class to itself on purpose).
  const exported = new Set<unknown>(perModule.flat().map((c) => c.cls));
  for (const cls of decoratedControllerClasses()) {
    if (decoratedBefore.has(cls) || exported.has(cls) || [...exported].some((e) => typeof e === 'function' && e.prototype instanceof cls)) continue;
    process.emitWarning(`${cls.name} is decorated as a controller, but no module under controllers: exports it, so it serves nothing: export it, or list its module under controllers:`, { code: 'JRR_CONTROLLER_NOT_EXPORTED' });
  }
  // Tokens are unique even when two modules export classes of the same name.
  const seen = new Map<string, number>();
  const seenClasses = new Set<unknown>();
  return perModule.flat().filter((c) => {
    if (seenClasses.has(c.cls)) return false;
    seenClasses.add(c.cls);
    const n = seen.get(c.cls.name) ?? 0;
    seen.set(c.cls.name, n + 1);
    c.token = `controller:${c.cls.name}${n ? `#${n}` : ''}`;
    return true;
  });
}
