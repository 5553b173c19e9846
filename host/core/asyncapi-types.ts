// The part of the AsyncAPI 3 document a plugin may contribute (PluginInstance.asyncapi): the host
// composes the document (host/contracts/asyncapi.ts) from the messages and handlers it knows and
// deep-merges each plugin's fragment into it, so a transport plugin adds its bindings to the
// host's channels and a plugin that serves its own endpoints (websocket) adds whole channels.

/** A JSON value of the document (AsyncAPI objects are plain JSON). */
export type AsyncApiValue = string | number | boolean | null | AsyncApiValue[] | { [key: string]: AsyncApiValue | undefined };
export type AsyncApiObject = { [key: string]: AsyncApiValue | undefined };

/** Objects merged by key into the document; a plugin's leaf values win. */
export interface AsyncApiFragment {
  channels?: Record<string, AsyncApiObject>;
  operations?: Record<string, AsyncApiObject>;
  components?: { messages?: Record<string, AsyncApiObject>; schemas?: Record<string, AsyncApiObject> };
}

/** What the host put in the document before asking the plugins: the ids to add bindings to. */
export interface AsyncApiBase {
  /** One channel per message (address = its topic); the id is the message's name. */
  readonly messageChannels: ReadonlyArray<{ readonly id: string; readonly message: string; readonly topic: string; readonly kind: 'task' | 'event' }>;
  /** One channel per message handler (address = its queue), with the handler's receive operation. */
  readonly queueChannels: ReadonlyArray<{ readonly id: string; readonly queue: string; readonly handler: string; readonly operation: string; readonly bindings: readonly string[]; readonly message: string }>;
}
