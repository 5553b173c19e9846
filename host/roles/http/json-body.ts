// The JSON body parser: UTF-8 only (a charset it cannot read is a 415, not a guess), invalid
// UTF-8 and text that is not valid Unicode (a lone UTF-16 surrogate) or holds a NUL character
// are 400s naming the field. Decoders elsewhere would store U+FFFD in their place, silently
// changing what the client sent; databases refuse NUL in text.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../../core/errors.ts';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Where in `value` a string is not storable text ('/title', '/tags/2', '/<key>' for a key), or undefined. */
export function badTextPath(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? path || '/' : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = badTextPath(value[i], `${path}/${i}`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    if (BAD_TEXT.test(key)) return `${path}/${JSON.stringify(key).slice(1, -1)}`;
    const found = badTextPath(v, `${path}/${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m?.[1]?.toLowerCase();
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  // Fastify's own parser (secure-json-parse: __proto__ and constructor.prototype keys are 400s).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer | string, done) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return done(new HttpError(415, `charset '${charset}' is not supported: send JSON as UTF-8 (Content-Type: application/json; charset=utf-8)`), undefined);
    }
    let text: string;
    try {
      text = typeof body === 'string' ? body : decoder.decode(body);
    } catch {
      return done(new HttpError(400, 'the body is not valid UTF-8: send JSON encoded as UTF-8'), undefined);
    }
    parseJson(request, text, (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const path = badTextPath(value);
      if (path) return done(new HttpError(400, `body${path === '/' ? '' : ` field '${path.slice(1).replaceAll('/', '.')}'`}: the text contains a NUL character or a lone UTF-16 surrogate (invalid Unicode)`, [{ in: 'body', path }]), undefined);
      done(null, value);
    });
  });
}
