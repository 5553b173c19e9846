// The websocket plugin's part of the AsyncAPI document: one channel per endpoint (address = its
// path, the `ws` binding), the messages clients send (the server receives) and those the server
// sends — the declared `sends`, the error frame, and raw frames when the endpoint declares them.
// Every JSON message is shown with its envelope: `{ type, data, id? }` in, `{ type, data, replyTo? }` out.
import type { AsyncApiFragment, AsyncApiObject, AsyncApiValue } from 'jararaca';
import type { Endpoint } from './endpoints.ts';
import type { WsMessageDefinition } from './messages.ts';

const id = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/** The channel id of an endpoint: `ws` + its path (`/ws` → `ws.ws`, `/live/tasks` → `ws.live.tasks`). */
export function wsChannelId(path: string): string {
  return id(`ws${path.replace(/\//g, '.')}`.replace(/\.+$/, '') || 'ws');
}

const envelope = (type: string, data: AsyncApiValue, correlation: 'id' | 'replyTo'): AsyncApiObject => ({
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', const: type },
    data,
    [correlation]: correlation === 'id' ? { type: ['string', 'number'], description: 'Chosen by the client; the answer carries it back as replyTo.' } : { type: ['string', 'number'], description: 'The id of the client message this answers.' },
  },
});

const errorData: AsyncApiObject = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string', description: 'A JRR_* code (or the application\'s own)' }, message: { type: 'string' }, details: {} },
};

export function wsAsyncApi(endpoints: readonly Endpoint[]): AsyncApiFragment {
  const fragment: Required<Pick<AsyncApiFragment, 'channels' | 'operations'>> & { components: { messages: Record<string, AsyncApiObject> } } = { channels: {}, operations: {}, components: { messages: {} } };
  for (const endpoint of endpoints) {
    const channel = wsChannelId(endpoint.path);
    const messages: Record<string, AsyncApiObject> = {};
    const incoming: string[] = [];
    const outgoing: string[] = [];
    const add = (key: string, message: AsyncApiObject, into: string[]) => {
      const componentId = `${channel}.${into === incoming ? 'in' : 'out'}.${id(key)}`;
      fragment.components.messages[componentId] = message;
      messages[`${into === incoming ? 'in' : 'out'}.${id(key)}`] = { $ref: `#/components/messages/${componentId}` };
      into.push(`${into === incoming ? 'in' : 'out'}.${id(key)}`);
    };
    for (const route of endpoint.messages.values()) {
      add(route.type, { name: route.type, title: route.type, summary: `Sent by clients${route.handler ? `; handled by ${route.handler.name}` : ''}.`, contentType: 'application/json', payload: envelope(route.type, (route.definition?.schema as AsyncApiValue) ?? {}, 'id'), 'x-jararaca-direction': 'client-to-server' }, incoming);
    }
    for (const def of endpoint.sends) add(def.type, outgoingMessage(def), outgoing);
    if (endpoint.messages.size) {
      add('error', { name: 'error', title: 'error', summary: 'The answer to a client message that was refused or whose handler failed.', contentType: 'application/json', payload: envelope('error', errorData, 'replyTo'), 'x-jararaca-direction': 'server-to-client' }, outgoing);
    }
    if (endpoint.rawFrames === 'text' || endpoint.rawFrames === 'both') {
      add('raw.text', { name: 'raw.text', title: 'raw text frame', summary: 'A text frame sent as it is (not JSON).', contentType: 'text/plain', payload: { type: 'string' }, 'x-jararaca-direction': 'server-to-client', 'x-jararaca-raw': 'text' }, outgoing);
    }
    if (endpoint.rawFrames === 'binary' || endpoint.rawFrames === 'both') {
      add('raw.binary', { name: 'raw.binary', title: 'raw binary frame', summary: 'A binary frame sent as it is.', contentType: 'application/octet-stream', payload: { type: 'string', format: 'binary' }, 'x-jararaca-direction': 'server-to-client', 'x-jararaca-raw': 'binary' }, outgoing);
    }
    fragment.channels[channel] = {
      address: endpoint.path,
      title: `WebSocket ${endpoint.path}`,
      description: `WebSocket endpoint served by ${[...endpoint.controllers].join(', ')} in the http role. JSON text frames { type, data }.${endpoint.rawFrames ? ` Also raw ${endpoint.rawFrames === 'both' ? 'text and binary' : endpoint.rawFrames} frames from the server.` : ''}`,
      messages,
      bindings: { ws: { method: 'GET', bindingVersion: '0.1.0' } },
      'x-jararaca-raw-frames': endpoint.rawFrames,
    };
    if (incoming.length) {
      fragment.operations[`${channel}.receive`] = { action: 'receive', channel: { $ref: `#/channels/${channel}` }, messages: incoming.map((m) => ({ $ref: `#/channels/${channel}/messages/${m}` })), summary: `What clients of ${endpoint.path} send.` };
    }
    if (outgoing.length) {
      fragment.operations[`${channel}.send`] = { action: 'send', channel: { $ref: `#/channels/${channel}` }, messages: outgoing.map((m) => ({ $ref: `#/channels/${channel}/messages/${m}` })), summary: `What the server sends to clients of ${endpoint.path} (replies, broadcasts, room sends).` };
    }
  }
  return fragment;
}

function outgoingMessage(def: WsMessageDefinition): AsyncApiObject {
  return { name: def.type, title: def.type, summary: 'Sent by the server.', contentType: 'application/json', payload: envelope(def.type, def.schema as AsyncApiValue, 'replyTo'), 'x-jararaca-direction': 'server-to-client' };
}
