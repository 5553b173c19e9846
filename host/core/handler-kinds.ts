// What runs each kind of handler. A decorator module declares its kind once (the http and
// scheduler roles always run theirs; message handlers need a transport plugin; a plugin's own
// kinds are served when it says so in `serves`), so the host checks "every declared handler has
// something that runs it" without knowing any kind itself.

/** What the start-up check can ask about the declared plugins. */
export interface ServedContext {
  /** Kinds the declared plugins list in `serves`. */
  readonly serves: ReadonlySet<string>;
  capability(name: string): unknown;
}

export interface HandlerKindSpec {
  /** True when something in this process can run handlers of this kind. Default: a plugin `serves` it. */
  isServed?(ctx: ServedContext): boolean;
  /** The mistake reported when not served, for the handlers named; default says which plugin to add. */
  missing?(handlers: readonly string[]): string;
}

const kinds = new Map<string, HandlerKindSpec>();

export function declareHandlerKind(kind: string, spec: HandlerKindSpec): void {
  kinds.set(kind, spec);
}

/** The problem with handlers of `kind`, or undefined when something runs them. */
export function unservedProblem(kind: string, handlers: readonly string[], ctx: ServedContext): string | undefined {
  const spec = kinds.get(kind) ?? {};
  if (spec.isServed ? spec.isServed(ctx) : ctx.serves.has(kind)) return undefined;
  return spec.missing?.(handlers) ?? `'${kind}' handlers (${handlers.join(', ')}) are run by a plugin that this service does not declare: add '- use: ${kind}'`;
}
