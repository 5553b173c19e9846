// The request id: a client's x-request-id is kept for correlation when it is a short printable
// token; anything else (too long, control or non-ASCII bytes, empty) is replaced by a UUID, so a
// log line or response header never carries what a client injected.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const MAX_LENGTH = 128;
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~:/=@-]+$/;

export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && given.length <= MAX_LENGTH && TOKEN.test(given) ? given : randomUUID();
}
