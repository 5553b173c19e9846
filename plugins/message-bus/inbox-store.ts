// The inbox table: (handler queue, messageId) of every message a handler finished, written in the
// handler's own transaction. A second delivery of the same message finds its row (or waits on the
// first delivery's uncommitted one) and is acknowledged without running the handler.
import type { Knex } from 'jararaca/knex-session';
import { createOwnTable } from './tables.ts';

export const INBOX_TABLE = 'jararaca_inbox';

export function createInboxTable(knex: Knex): Promise<void> {
  return createOwnTable(knex, INBOX_TABLE, [
    `
      create table if not exists ${INBOX_TABLE} (
        handler text not null,
        message_id text not null,
        handled_at timestamptz not null default now(),
        primary key (handler, message_id)
      )`,
    `create index if not exists ${INBOX_TABLE}_handled on ${INBOX_TABLE} (handled_at)`,
  ]);
}

/** Records the message for the handler; false when it was recorded before (a duplicate). */
export async function recordInbox(trx: Knex.Transaction, handler: string, messageId: string): Promise<boolean> {
  const result = await trx.raw(`insert into ${INBOX_TABLE} (handler, message_id) values (?, ?) on conflict do nothing returning 1 as fresh`, [handler, messageId]);
  return ((result as { rows: unknown[] }).rows ?? []).length > 0;
}

/** Deletes records older than the retention for these handlers (bounded chunks). */
export async function pruneInbox(knex: Knex, handlers: readonly string[], retentionMs: number): Promise<number> {
  if (!handlers.length) return 0;
  const result = await knex.raw(
    `delete from ${INBOX_TABLE} where (handler, message_id) in (select handler, message_id from ${INBOX_TABLE} where handler = any(?) and handled_at < now() - ? * interval '1 millisecond' limit 5000)`,
    [[...handlers], retentionMs],
  );
  return (result as { rowCount?: number }).rowCount ?? 0;
}
