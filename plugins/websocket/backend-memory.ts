// memory://: mqemitter in this process. Reaches only this process's clients, so it suits
// `--role all` and tests; a worker or scheduler in another process cannot reach them.
import mqemitter from 'mqemitter';
import { channelName, type WsBackend, type WsPacket } from './backend.ts';

export function memoryBackend(prefix: string): WsBackend {
  const emitter = mqemitter();
  const topic = channelName(prefix);
  return {
    description: 'memory://',
    async start(onPacket) {
      if (!onPacket) return;
      await new Promise<void>((resolve) =>
        emitter.on(
          topic,
          (message, done) => {
            onPacket({ ops: message.ops as WsPacket['ops'] });
            done();
          },
          resolve,
        ),
      );
    },
    publish(packet) {
      return new Promise((resolve, reject) => emitter.emit({ topic, ops: packet.ops }, (err) => (err ? reject(err) : resolve())));
    },
    health: () => ({ ready: true }),
    stop: () => new Promise<void>((resolve) => emitter.close(() => resolve())),
  };
}
