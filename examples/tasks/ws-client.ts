// A browser-less WebSocket client for the tasks example: connects to /ws, optionally watches
// tasks (one room per task), and prints every frame it receives as one JSON line.
//   node --import tsx examples/tasks/ws-client.ts [--url ws://127.0.0.1:3000/ws] [--watch TASK_ID]... [--count N]
// --count N exits after N frames (besides the hello), for scripts; without it, runs until Ctrl-C.
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.WS_URL ?? 'ws://127.0.0.1:3000/ws' },
    watch: { type: 'string', multiple: true, default: [] },
    count: { type: 'string' },
  },
});

const limit = values.count === undefined ? Infinity : Number(values.count);
let seen = 0;
const socket = new WebSocket(values.url!);

socket.on('open', () => {
  process.stderr.write(`connected to ${values.url}\n`);
  for (const id of values.watch ?? []) socket.send(JSON.stringify({ type: 'task.watch', data: { id }, id: `watch-${id}` }));
});

socket.on('message', (raw) => {
  const frame = JSON.parse(raw.toString()) as { type: string };
  process.stdout.write(`${JSON.stringify(frame)}\n`);
  if (frame.type === 'hello' || frame.type === 'task.watching') return;
  if (++seen >= limit) socket.close(1000, 'done');
});

socket.on('close', (code, reason) => {
  process.stderr.write(`closed: ${code} ${reason.toString()}\n`);
  process.exitCode = code === 1000 || code === 1005 ? 0 : 1;
});

socket.on('error', (err) => {
  process.stderr.write(`error: ${err.message}\n`);
  process.exitCode = 1;
});

process.once('SIGINT', () => socket.close(1000, 'bye'));
