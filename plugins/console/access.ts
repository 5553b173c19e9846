// Who is asking, and what they may do. Two roles: `viewer` reads, `operator` also acts. HTTP
// Basic (browsers and curl) or a bearer token from the options, or the service's own hook.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'jararaca';

export type ConsoleRole = 'viewer' | 'operator';

export interface ConsoleUser {
  /** Shown in the page and written in the log of every operator action. */
  name: string;
  role: ConsoleRole;
}

/** The `authenticate` hook: a user, or undefined to fall back to the declared credentials. */
export type ConsoleAuthenticate = (request: FastifyRequest) => ConsoleUser | undefined | Promise<ConsoleUser | undefined>;

interface Credential {
  kind: 'basic' | 'bearer';
  name: string;
  role: ConsoleRole;
  digest: Buffer;
}

// Compared as digests: equal length for timingSafeEqual, and no early exit on the first byte.
const digest = (text: string) => createHash('sha256').update(text).digest();

export class Access {
  readonly #credentials: Credential[] = [];
  readonly #hook: ConsoleAuthenticate | undefined;

  constructor(options: { viewer?: string; operator?: string; viewerToken?: string; operatorToken?: string }, hook?: ConsoleAuthenticate) {
    this.#hook = hook;
    // The operator first: the same user:password given for both is an operator.
    for (const role of ['operator', 'viewer'] as const) {
      const basic = options[role];
      if (basic) this.#credentials.push({ kind: 'basic', name: basic.slice(0, basic.indexOf(':')), role, digest: digest(basic) });
      const token = options[`${role}Token`];
      if (token) this.#credentials.push({ kind: 'bearer', name: `${role} token`, role, digest: digest(token) });
    }
  }

  /** False when nothing can log in: the console stays off. */
  get configured(): boolean {
    return this.#credentials.length > 0 || this.#hook !== undefined;
  }

  async authenticate(request: FastifyRequest): Promise<ConsoleUser | undefined> {
    const fromHook = await this.#hook?.(request);
    if (fromHook) return fromHook;
    const header = request.headers.authorization ?? '';
    const [scheme, value = ''] = header.split(' ', 2);
    let kind: Credential['kind'];
    let secret: string;
    if (scheme.toLowerCase() === 'basic') {
      kind = 'basic';
      secret = Buffer.from(value, 'base64').toString('utf8');
    } else if (scheme.toLowerCase() === 'bearer') {
      kind = 'bearer';
      secret = value;
    } else return undefined;
    const given = digest(secret);
    const match = this.#credentials.find((c) => c.kind === kind && timingSafeEqual(c.digest, given));
    return match ? { name: match.name, role: match.role } : undefined;
  }
}
