// Names this process among the service's replicas: in the scheduler's history of runs and in
// the console's heartbeats. JARARACA_REPLICA_ID overrides it (a pod name, say).
import { hostname } from 'node:os';

let id: string | undefined;

/** `<host>:<pid>`, or JARARACA_REPLICA_ID when set. */
export function replicaId(): string {
  id ??= process.env.JARARACA_REPLICA_ID || `${hostname()}:${process.pid}`;
  return id;
}
