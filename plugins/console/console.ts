// The console when it is on (index.ts decides): its scheduled actions, heartbeats, overview and
// dead letters, and its routes on the http role. Imported only then.
import type { PluginContext, PluginInstance } from 'jararaca';
import type { FromSchema } from 'json-schema-to-ts';
import type { Access } from './access.ts';
import { consoleSecurity } from './api-schemas.ts';
import { registerConsoleRoutes } from './api.ts';
import { DeadLetters } from './dead-letters.ts';
import { Reporter } from './heartbeat.ts';
import { heartbeatStore, type HeartbeatStore } from './heartbeat-store.ts';
import type { optionsSchema } from './options.ts';
import { Overview } from './overview.ts';
import { ScheduledActions } from './scheduled.ts';

export function consoleInstance(ctx: PluginContext<FromSchema<typeof optionsSchema>>, path: string, access: Access): PluginInstance {
  const scheduled = new ScheduledActions(ctx);
  // Every role beats (workers and schedulers appear in the overview); the store is chosen at
  // start, when the other plugins' capabilities can be read.
  const reporter = new Reporter(ctx, ctx.options.heartbeatMs ?? 5000);
  let store: HeartbeatStore | undefined;
  const overview = new Overview(ctx, () => (store ??= heartbeatStore(ctx)), reporter.intervalMs);
  const deadLetters = new DeadLetters(ctx);
  // The API is in the service's OpenAPI document, under the schemes of the credentials given.
  const { schemes, security } = consoleSecurity(ctx.options);
  return {
    openapi: { securitySchemes: schemes },
    intercept: (execution, next) => reporter.intercept(execution, next),
    start() {
      store ??= heartbeatStore(ctx);
      reporter.start(store);
      deadLetters.start();
    },
    async http(app) {
      await registerConsoleRoutes(app, { path, access, scheduled, overview, deadLetters, handlers: ctx.handlers, logger: ctx.logger, security });
      ctx.logger.info({ path }, `console at ${path}`);
    },
    async stop() {
      await deadLetters.stop();
      await reporter.stop();
      await store?.close();
      await scheduled.close();
    },
    describe: () => [`console: ${path}`],
  };
}
