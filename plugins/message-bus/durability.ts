// Which knex-session connection carries the outbox and the inbox: the one named in the options,
// or by default the knex-session listed after message-bus ('default' if one of those is).
// Listed after = an inner layer, so its transaction is open while the execution's publishes are
// written and commits before this plugin's layer returns.
import type { ServiceDeclaration } from 'jararaca';

export interface ConnectionChoice {
  connection?: string;
}

/** Connections of the knex-session entries listed after the (first) message-bus entry. */
export function innerConnections(service: ServiceDeclaration, busIndex?: number): string[] {
  const entries = service.interceptors ?? [];
  const me = busIndex ?? entries.findIndex((e) => e?.use === 'message-bus');
  return entries
    .slice(me + 1)
    .filter((e) => e?.use === 'knex-session')
    .map((e) => (e.with as { connection?: string } | undefined)?.connection ?? 'default');
}

/** The connection for the outbox or inbox, or undefined when it is off. */
export function chooseConnection(option: false | ConnectionChoice | undefined, inner: readonly string[]): string | undefined {
  if (option === false) return undefined;
  if (option?.connection) return option.connection;
  return inner.includes('default') ? 'default' : inner[0];
}
