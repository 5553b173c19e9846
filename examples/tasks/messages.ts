// The tasks service's messages and their handlers (the reference's message bus runtime).
// POST /tasks publishes TaskCreated (staged until the insert committed); TaskWorker marks the
// task done; HelloTask is the reference's greeting task. Declared in service.yaml as a
// controller module; runs on `${AMQP_URL:-memory://}` (see docs/message-bus.md).
import { defineMessage, MessageBusController, MessageHandler, useExecution, type MessageContext, type PayloadOf } from 'jararaca';
import { useWsManager } from 'jararaca/websocket';
import type { TaskRepository } from './task-store.ts';

export const TaskCreated = defineMessage({
  name: 'TaskCreated',
  topic: 'tasks.created',
  kind: 'event',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { id: { type: 'string', format: 'uuid' } },
  } as const,
});

export const HelloTask = defineMessage({
  name: 'HelloTask',
  topic: 'tasks.hello',
  kind: 'task',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
  } as const,
});

@MessageBusController()
export class TaskWorker {
  readonly #tasks: TaskRepository;

  constructor({ tasks }: { tasks: TaskRepository }) {
    this.#tasks = tasks;
  }

  /**
   * Runs in its own transaction (knex-session); the message is acked only after it committed,
   * and the WebSocket clients hear of it only then.
   */
  @MessageHandler(TaskCreated, { name: 'markDone', retry: { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 10000 } })
  async markDone(message: PayloadOf<typeof TaskCreated>, ctx: MessageContext): Promise<void> {
    const task = await this.#tasks.markDone(message.id);
    // Not there would be odd (published after the commit): retry rather than lose it.
    if (!task) throw new Error(`task ${message.id} not found (attempt ${ctx.attempt})`);
    useWsManager().send(['tasks', `task:${task.id}`], { type: 'task.done', data: task });
  }

  @MessageHandler(HelloTask, { name: 'hello', timeoutMs: 5000 })
  async hello(payload: PayloadOf<typeof HelloTask>, ctx: MessageContext): Promise<void> {
    useExecution().logger.info({ messageId: ctx.id, attempt: ctx.attempt }, `hello, ${payload.name}`);
  }
}
