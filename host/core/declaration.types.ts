// Generated from schemas/service.schema.json by `npm run gen`. Do not edit.

/**
 * A module path relative to this file (./controllers/tasks.ts) or an installed package name.
 */
export type ModulePath = string

/**
 * A jararaca service: its providers, interceptor plugins in order, controller modules and per-role settings. Values may use ${VAR} or ${VAR:-default} from the environment.
 */
export interface ServiceDeclaration {
/**
 * Path or URL of this schema, for editors.
 */
$schema?: string
/**
 * Service name: lower case letters, digits, '.', '_', '-'. Prefixes queue names and log lines.
 */
name: string
/**
 * Application settings, read with useConfig() or injected as `config`. The `config` plugin validates them against its `schema` option.
 */
config?: Record<string, unknown>
/**
 * Dependency injection tokens. Each token maps to a value, a class or a factory.
 */
providers?: {
[k: string]: Provider | undefined
}
/**
 * Interceptor plugins, in order: the first listed is the outermost layer around every execution.
 */
interceptors?: Interceptor[]
/**
 * Modules whose exported decorated classes are the service's controllers, relative to this file.
 */
controllers?: ModulePath[]
http?: Http
worker?: Worker
scheduler?: Scheduler
logging?: Logging
}
export interface Provider {
/**
 * A literal value (any YAML value).
 */
value?: unknown
/**
 * A class, constructed with the container's cradle: constructor({ dep1, dep2 }).
 */
class?: string
/**
 * A function called with the container's cradle; may return a promise only for singletons.
 */
factory?: string
/**
 * singleton: one per process; scoped: one per execution; transient: one per injection.
 */
lifetime?: ("singleton" | "scoped" | "transient")
/**
 * Method called on the instance at shutdown (singleton) or at the end of the execution (scoped). Default: dispose() if the instance has one.
 */
dispose?: string
}
export interface Interceptor {
/**
 * A built-in plugin name (config, ...), an installed package, or a path relative to this file.
 */
use: string
/**
 * The plugin's options, validated against the plugin's own schema.
 */
with?: Record<string, unknown>
}
export interface Http {
host?: string
port?: number
/**
 * Largest accepted request body, in bytes (413 above).
 */
bodyLimit?: number
/**
 * How long in-flight requests may run after SIGTERM before they are cut.
 */
shutdownTimeoutMs?: number
/**
 * How long a client has to send a whole request (headers and body), in ms; past it the connection is closed (408 when possible). 0 disables it.
 */
requestTimeoutMs?: number
/**
 * How long a client has to send the request headers, in ms (at most requestTimeoutMs).
 */
headersTimeoutMs?: number
/**
 * How long an idle keep-alive connection stays open between requests, in ms (keep it above a load balancer's idle timeout).
 */
keepAliveTimeoutMs?: number
trustProxy?: boolean
/**
 * The OpenAPI 3.1 document of the routes and its reference page (docs/contracts.md). false serves neither; `jararaca-host openapi` writes the document either way.
 */
openapi?: (false | {
/**
 * Where the document is served.
 */
path?: string
/**
 * info.title (default: the service's name).
 */
title?: string
/**
 * info.version: the version of the API.
 */
version?: string
/**
 * info.description.
 */
description?: string
/**
 * The API reference page (Swagger UI, assets served by the service itself); false serves none.
 */
docs?: (false | {
/**
 * Where the page is served.
 */
path?: string
})
})
}
export interface Worker {
prefetch?: number
healthPort?: number
shutdownTimeoutMs?: number
}
export interface Scheduler {
timezone?: string
healthPort?: number
shutdownTimeoutMs?: number
/**
 * TTL of the running lease that keeps overlap: skip across replicas; renewed every third of it while the action runs. A replica killed mid-run blocks that action's next slots for at most this long.
 */
leaseTtlMs?: number
/**
 * How much history of runs the lock's store keeps per action (shown by the operations console): the newest `runs`, none older than `maxAgeMs`.
 */
history?: {
/**
 * The newest runs kept per action.
 */
runs?: number
/**
 * Runs older than this are dropped (default 7 days).
 */
maxAgeMs?: number
}
/**
 * Where replicas take their per-slot locks: redis://... (with the redis plugin), postgres://... (with knex-session), memory:// (one process), or the scheme of another plugin that provides a scheduler lock.
 */
lock?: string
}
export interface Logging {
level?: ("fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent")
/**
 * Extra pino redact paths ('req.headers.authorization', '*.apiKey'): their values are logged as '***'. URLs and connection strings are always masked.
 */
redact?: string[]
/**
 * Human-readable coloured lines (pino-pretty) instead of JSON. Default: pretty when the output is a terminal, JSON otherwise. Secrets are masked either way.
 */
pretty?: boolean
}
