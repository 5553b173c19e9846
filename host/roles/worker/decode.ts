// A delivery's body → the handler's payload, or a reason it is poison (dead-lettered at once,
// never retried: it will not get better). Strict: invalid UTF-8 is refused, not read as U+FFFD;
// a content type other than JSON is refused, not guessed at.
import { JararacaError } from '../../core/errors.ts';
import type { MessageDefinition } from './messages.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

export class PoisonMessageError extends JararacaError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('JRR_MESSAGE_POISON', `poison message: ${reason}`, options);
  }
}

function checkContentType(contentType: string): void {
  if (!JSON_TYPE.test(contentType)) throw new PoisonMessageError(`content type '${contentType.slice(0, 100)}' is not JSON (application/json)`);
  const charset = CHARSET.exec(contentType)?.[1]?.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new PoisonMessageError(`charset '${charset.slice(0, 40)}' is not UTF-8`);
}

/** Throws PoisonMessageError saying what is wrong with the body. */
export function decodeMessage<T>(message: Pick<MessageDefinition<T>, 'parse'>, body: Buffer, contentType?: string): T {
  // What usePublisher() sends (and no content type at all) needs no parsing of the header.
  if (contentType && contentType !== 'application/json') checkContentType(contentType);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch (err) {
    throw new PoisonMessageError('body is not valid UTF-8', { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PoisonMessageError(`body is not JSON (${(err as Error).message})`, { cause: err });
  }
  try {
    return message.parse(json);
  } catch (err) {
    throw new PoisonMessageError((err as Error).message, { cause: err });
  }
}
