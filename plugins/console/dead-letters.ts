// The console's dead letters: list and search (from the PostgreSQL index when there is one, else
// read from the queue), and requeue or purge the selected ones or all matching a search. Acting
// goes through the transport's DeadLetterAdmin — what `jararaca-host dlq` uses — so the same
// guarantees hold: a requeued message is confirmed by the broker in the handler's queue before it
// leaves the dead-letter queue, and what is not chosen stays where it was.
import { HttpError, planHandlers, TRANSPORT_CAPABILITY, type DeadLetter, type DeadLetterAdmin, type HandlerRegistry, type MessageHandlerPlan, type MessageTransport, type PluginContext } from 'jararaca';
import { DeadLetterIndex, matches, type DeadLetterQuery } from './dead-letter-index.ts';

// Without an index, a search reads at most this many dead letters from the queue.
export const QUEUE_READ_LIMIT = 10_000;
// Rebuilding the index reads at most this many (a larger queue is indexed in part).
const REBUILD_LIMIT = 200_000;
// The list shows bodies cut to this; one letter is read whole.
const LIST_BODY = 4096;

export type Selection = { messageIds: string[] } | { filter: DeadLetterQuery };

type Context = Pick<PluginContext<unknown>, 'capability' | 'service' | 'logger' | 'roles'> & { handlers: HandlerRegistry };

export class DeadLetters {
  readonly #ctx: Context;
  #index: DeadLetterIndex | undefined | null = null;

  constructor(ctx: Context) {
    this.#ctx = ctx;
  }

  /** The index (knex-session on PostgreSQL), looked up once capabilities can be read. */
  index(): DeadLetterIndex | undefined {
    if (this.#index === null) this.#index = DeadLetterIndex.of(this.#ctx);
    return this.#index;
  }

  start(): void {
    if (this.#ctx.roles.has('worker')) this.index()?.listen();
  }

  async stop(): Promise<void> {
    await this.index()?.unlisten();
  }

  #plan(handler: string | undefined): MessageHandlerPlan {
    const plans = planHandlers(this.#ctx.service.name, this.#ctx.handlers.ofKind('message'));
    const plan = plans.find((p) => p.name === handler);
    if (!plan) throw HttpError.notFound(`no message handler '${handler ?? ''}' (handlers: ${plans.map((p) => p.name).join(', ') || 'none'})`);
    return plan;
  }

  #admin(): { admin: DeadLetterAdmin; transport: MessageTransport } {
    const transport = this.#ctx.capability<MessageTransport>(TRANSPORT_CAPABILITY);
    if (!transport?.deadLetters) throw new HttpError(501, 'this service declares no message transport with dead-letter queues (add the message-bus plugin)');
    return { admin: transport.deadLetters, transport };
  }

  /** The index's rows of a queue, rebuilt from the queue first when its count is not the broker's. */
  async #synced(queue: string): Promise<DeadLetterIndex | undefined> {
    const index = this.index();
    if (!index) return undefined;
    const { admin } = this.#admin();
    const present = (await admin.stats?.(queue))?.deadLetters;
    if (present === undefined) return index;
    if ((await index.count(queue)) !== present) {
      this.#ctx.logger.info({ queue, present }, 'console: rebuilding the dead-letter index of a queue from the queue');
      await index.rebuild(queue, await admin.list(queue, Math.min(present, REBUILD_LIMIT)));
    }
    return index;
  }

  async search(handler: string | undefined, q: DeadLetterQuery, limit: number, offset: number) {
    const plan = this.#plan(handler);
    const index = await this.#synced(plan.queue);
    if (index) {
      const found = await index.search(plan.queue, q, limit, offset);
      return { handler: plan.name, queue: plan.queue, source: 'index' as const, total: found.total, letters: found.letters.map(cut) };
    }
    const { admin } = this.#admin();
    const all = (await admin.list(plan.queue, QUEUE_READ_LIMIT)).filter((l) => matches(l, q));
    return { handler: plan.name, queue: plan.queue, source: 'queue' as const, total: all.length, truncatedAt: QUEUE_READ_LIMIT, letters: all.slice(offset, offset + limit).map((l, i) => cut({ ...l, id: String(offset + i) })) };
  }

  /** One dead letter whole, from the queue (the index may hold a cut body). */
  async one(handler: string | undefined, messageId: string): Promise<DeadLetter> {
    const plan = this.#plan(handler);
    const { admin } = this.#admin();
    const letter = (await admin.list(plan.queue, REBUILD_LIMIT)).find((l) => l.messageId === messageId);
    if (!letter) throw HttpError.notFound(`no dead letter with message id '${messageId}' in ${plan.queue}.dlq`);
    return letter;
  }

  /** Requeues or purges the chosen dead letters; answers with how many, and how many are left. */
  async act(action: 'requeue' | 'purge', handler: string | undefined, selection: Selection) {
    const plan = this.#plan(handler);
    const { admin } = this.#admin();
    const ids = 'messageIds' in selection ? new Set(selection.messageIds) : undefined;
    const chosen: string[] = [];
    const filter = (l: DeadLetter) => {
      const yes = ids ? l.messageId !== undefined && ids.has(l.messageId) : matches(l, (selection as { filter: DeadLetterQuery }).filter);
      if (yes && l.messageId) chosen.push(l.messageId);
      return yes;
    };
    const limit = ids ? ids.size : Number.MAX_SAFE_INTEGER;
    const n = action === 'requeue' ? await admin.requeue(plan.queue, limit, filter) : await admin.purge(plan.queue, limit, filter);
    // A letter chosen but not moved (the broker failed half way) makes the counts differ: the next search rebuilds.
    await this.index()?.remove(plan.queue, chosen).catch((err: unknown) => this.#ctx.logger.warn({ err }, 'console: dead-letter index not updated; rebuilt on the next search'));
    const left = (await admin.stats?.(plan.queue))?.deadLetters ?? null;
    return { action, handler: plan.name, queue: plan.queue, [action === 'requeue' ? 'requeued' : 'purged']: n, remaining: left };
  }
}

function cut<L extends DeadLetter>(l: L): L & { truncated?: true } {
  return l.body.length > LIST_BODY ? { ...l, body: l.body.slice(0, LIST_BODY), truncated: true } : l;
}
