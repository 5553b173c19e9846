// The fan-out backend carries staged operations from any process to every HTTP process. One
// channel per service (prefix + 'ws'): each flush is one packet, so a process's operations
// arrive everywhere in the order they were staged; each HTTP process applies what concerns
// its own connections.
import type { HealthReport } from 'jararaca';

/**
 * A frame as it travels between processes: text as is, binary as base64 (`binary: true`), so
 * every backend (Redis pub/sub included) carries it as a plain string.
 */
export interface WsFrame {
  frame: string;
  binary?: true;
}

export type WsOp =
  | ({ op: 'broadcast' } & WsFrame)
  | ({ op: 'rooms'; rooms: string[] } & WsFrame)
  | ({ op: 'to'; ids: string[] } & WsFrame)
  | { op: 'join'; id: string; rooms: string[] }
  | { op: 'leave'; id: string; rooms: string[] };

export interface WsPacket {
  ops: WsOp[];
}

export interface WsBackend {
  /** For logs and health: the URL without its password. */
  readonly description: string;
  /** Connects. With `onPacket` (HTTP processes), also receives every packet any process publishes. */
  start(onPacket?: (packet: WsPacket) => void): Promise<void>;
  /** Resolves once the backend accepted the packet; rejects (fast) when it is unreachable. */
  publish(packet: WsPacket): Promise<void>;
  health(): HealthReport;
  stop(): Promise<void>;
}

export function channelName(prefix: string): string {
  return `${prefix}ws`;
}

/** The part of mqemitter (and mqemitter-redis) that subscribing uses. */
interface Subscribable {
  on(topic: string, listener: (message: { topic: string; ops?: unknown }, done: () => void) => void, ready?: () => void): unknown;
}

/** Subscribes `onPacket` to the service's channel; resolves once the subscription is in place. */
export function subscribePackets(emitter: Subscribable, topic: string, onPacket: (packet: WsPacket) => void): Promise<void> {
  return new Promise<void>((resolve) =>
    emitter.on(
      topic,
      (message, done) => {
        onPacket({ ops: message.ops as WsPacket['ops'] });
        done();
      },
      resolve,
    ),
  );
}
