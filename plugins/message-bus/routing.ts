// Routing and delay helpers shared by the AMQP transport and the in-process broker.

/** AMQP topic matching: `*` is exactly one word, `#` zero or more words. */
export function topicMatcher(pattern: string): (topic: string) => boolean {
  const words = pattern.split('.');
  const match = (w: number, t: string[], i: number): boolean => {
    if (w === words.length) return i === t.length;
    if (words[w] === '#') {
      for (let j = i; j <= t.length; j++) if (match(w + 1, t, j)) return true;
      return false;
    }
    if (i === t.length) return false;
    return (words[w] === '*' || words[w] === t[i]) && match(w + 1, t, i + 1);
  };
  return (topic) => match(0, topic.split('.'), 0);
}

// Delays use queues whose messages expire into the target (dead-lettering). A queue only
// expires its head, so each queue holds one "bucket" of delays: every message in the bucket
// (b/√2, b] expires no later than b after it was queued. A message therefore arrives between
// its delay and √2 times it (never early); bucket queues are declared when first used.
const LADDER_BASE_MS = 100;

/** The delay bucket for `ms`: 100, 141, 200, 283, 400, 566, 800, 1131, 1600 ... ms. */
export function delayBucket(ms: number): number {
  if (ms <= LADDER_BASE_MS) return LADDER_BASE_MS;
  const k = Math.ceil(2 * Math.log2(ms / LADDER_BASE_MS) - 1e-9);
  return Math.round(LADDER_BASE_MS * 2 ** (k / 2));
}

/** Longest accepted delay: 7 days. */
export const MAX_DELAY_MS = 7 * 24 * 3600 * 1000;

/** Headers the transports use for bookkeeping; handlers see the message's headers without them. */
export const HEADER = {
  attempt: 'x-jrr-attempt',
  routingKey: 'x-jrr-routing-key',
  delay: 'x-jrr-delay',
  error: 'x-jrr-error',
  attempts: 'x-jrr-attempts',
  failedAt: 'x-jrr-failed-at',
  lastError: 'x-jrr-last-error',
} as const;

export function isBookkeeping(key: string): boolean {
  return key.startsWith('x-jrr-') || key === 'x-death' || key.startsWith('x-first-death') || key.startsWith('x-last-death');
}

const NO_HEADERS: Readonly<Record<string, unknown>> = Object.freeze({});

export function publicHeaders(headers: Record<string, unknown> | undefined): Readonly<Record<string, unknown>> {
  let out: Record<string, unknown> | undefined;
  for (const k in headers) if (Object.hasOwn(headers, k) && !isBookkeeping(k)) (out ??= {})[k] = headers[k];
  // Most messages have none of their own: one shared empty object, not one per delivery.
  return out ? Object.freeze(out) : NO_HEADERS;
}

/** Error text carried in a header: one line, bounded. */
export function errorHeader(error: string): string {
  const line = error.replace(/\s+/g, ' ').trim();
  return line.length > 1000 ? `${line.slice(0, 997)}...` : line;
}
