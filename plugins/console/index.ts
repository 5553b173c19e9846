// Built-in `console` plugin: an operations console served by the http role at `path` (default
// /_console): scheduled actions (history, run now, pause), routes, with the same functions as a
// JSON API under <path>/api. Off unless declared, and off (logged once) without credentials.
import { pathToFileURL } from 'node:url';
import { definePlugin, ModuleLoadError } from 'jararaca';
import { Access, type ConsoleAuthenticate } from './access.ts';
import { optionsSchema } from './options.ts';

export type { ConsoleAuthenticate, ConsoleRole, ConsoleUser } from './access.ts';
export { optionsSchema } from './options.ts';

/** Loads `./auth.ts#authenticate` (the export defaults to `default`). */
async function loadHook(specifier: string, resolve: (s: string) => string): Promise<ConsoleAuthenticate> {
  const [file, name = 'default'] = specifier.split('#');
  let loaded: unknown;
  try {
    loaded = ((await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>)[name];
  } catch (err) {
    throw new ModuleLoadError('JRR_MODULE_LOAD', `console: authenticate '${specifier}' could not be loaded: ${(err as Error).message}`, { cause: err });
  }
  if (typeof loaded !== 'function') throw new ModuleLoadError('JRR_MODULE_LOAD', `console: authenticate '${specifier}' is not a function: export one named '${name}' returning { name, role } or undefined`);
  return loaded as ConsoleAuthenticate;
}

export default definePlugin({
  name: 'console',
  options: optionsSchema,
  async setup(ctx) {
    const path = (ctx.options.path ?? '/_console').replace(/(.)\/$/, '$1');
    const hook = ctx.options.authenticate ? await loadHook(ctx.options.authenticate, (s) => ctx.resolvePath(s)) : undefined;
    const access = new Access(ctx.options, hook);
    if (!access.configured) {
      if (ctx.roles.has('http')) ctx.logger.warn(`console: off, no credentials (set viewer/operator, e.g. viewer: \${CONSOLE_VIEWER:-}, a token, or authenticate)`);
      return { describe: () => ['console: off (no credentials)'] };
    }
    // The console's own modules (~15) only when it is on: a test host or a laptop usually runs without it.
    return (await import('./console.ts')).consoleInstance(ctx, path, access);
  },
});
