// memory://: mqemitter in this process. Reaches only this process's clients, so it suits
// `--role all` and tests; a worker or scheduler in another process cannot reach them.
import mqemitter from 'mqemitter';
import { channelName, subscribePackets, type WsBackend, type WsPacket } from './backend.ts';

export function memoryBackend(prefix: string): WsBackend {
  const emitter = mqemitter();
  const topic = channelName(prefix);
  return {
    description: 'memory://',
    async start(onPacket) {
      if (!onPacket) return;
      await subscribePackets(emitter, topic, onPacket);
    },
    publish(packet) {
      return new Promise((resolve, reject) => emitter.emit({ topic, ops: packet.ops }, (err) => (err ? reject(err) : resolve())));
    },
    health: () => ({ ready: true }),
    stop: () => new Promise<void>((resolve) => emitter.close(() => resolve())),
  };
}
