// The outbox table: messages an execution published, written in its own transaction, sent by the
// relay afterwards. One table per database, shared by the services using it (rows carry their
// service). Created by the framework (not the user's migrations), idempotently, at start.
//
// Claiming uses short leases rather than holding a transaction while the broker confirms: on
// the embedded engine (one connection) a held transaction would stall every execution, and on
// PostgreSQL a lease lets another relay take over the rows of a process that died (kill -9)
// once it expires. Two relays never hold a lease on the same row: the claim locks its candidates
// FOR UPDATE SKIP LOCKED. Per-execution order: a relay takes an execution's rows only as a run
// starting at its oldest unsent due row, so none overtakes an earlier one another relay holds.
import type { Knex } from 'jararaca/knex-session';
import { createOwnTable } from './tables.ts';
import type { OutgoingMessage } from 'jararaca';

export const OUTBOX_TABLE = 'jararaca_outbox';

export interface StagedMessage extends OutgoingMessage {
  /** Absolute time to send at (publish(..., { at })). */
  readonly at?: Date;
}

export interface ClaimedMessage extends OutgoingMessage {
  readonly id: string;
}

export interface OutboxStats {
  pending: number;
  /** Age of the oldest due row not yet sent, ms (0 when none). */
  lagMs: number;
}

export function createOutboxTable(knex: Knex): Promise<void> {
  return createOwnTable(knex, OUTBOX_TABLE, [
    `
      create table if not exists ${OUTBOX_TABLE} (
        id bigserial primary key,
        service text not null,
        execution_id text not null,
        message_id text not null,
        name text not null,
        topic text not null,
        body bytea not null,
        headers jsonb not null default '{}',
        published_ms bigint not null,
        created_at timestamptz not null default now(),
        due_at timestamptz not null default now(),
        lease_until timestamptz,
        lease_owner text,
        attempts integer not null default 0,
        last_error text,
        sent_at timestamptz
      )`,
    `create index if not exists ${OUTBOX_TABLE}_pending on ${OUTBOX_TABLE} (service, due_at, id) where sent_at is null`,
    `create index if not exists ${OUTBOX_TABLE}_execution on ${OUTBOX_TABLE} (execution_id, id) where sent_at is null`,
    `create index if not exists ${OUTBOX_TABLE}_sent on ${OUTBOX_TABLE} (service, sent_at) where sent_at is not null`,
  ]);
}

export class OutboxStore {
  constructor(readonly service: string) {}

  /** Inserts an execution's staged messages, in order, in its transaction. */
  async insert(trx: Knex.Transaction, executionId: string, messages: readonly StagedMessage[]): Promise<void> {
    const rows = messages.map((m) => ({
      service: this.service,
      execution_id: executionId,
      message_id: m.messageId,
      name: m.name,
      topic: m.topic,
      body: m.body,
      headers: JSON.stringify(m.headers),
      published_ms: m.timestamp,
      // The database's clock for relative delays, so relays on other hosts agree on "due".
      due_at: m.at ? m.at : m.delayMs ? trx.raw(`now() + ? * interval '1 millisecond'`, [Math.round(m.delayMs)]) : trx.raw('now()'),
    }));
    await trx(OUTBOX_TABLE).insert(rows);
  }

  /** Leases up to `limit` due rows for `owner` (see the file comment), oldest first. */
  async claim(knex: Knex, owner: string, limit: number, leaseMs: number): Promise<ClaimedMessage[]> {
    return knex.transaction(async (trx) => {
      const candidates = (
        await trx.raw(
          `select id, execution_id from ${OUTBOX_TABLE}
           where service = ? and sent_at is null and due_at <= now() and (lease_until is null or lease_until < now())
           order by id limit ? for update skip locked`,
          [this.service, limit],
        )
      ).rows as Array<{ id: string; execution_id: string }>;
      if (!candidates.length) return [];
      const mine = new Set(candidates.map((c) => String(c.id)));
      const executions = [...new Set(candidates.map((c) => c.execution_id))];
      // Every unsent due row of those executions, whoever holds it.
      const all = (
        await trx.raw(`select id, execution_id from ${OUTBOX_TABLE} where execution_id = any(?) and service = ? and sent_at is null and due_at <= now() order by id`, [executions, this.service])
      ).rows as Array<{ id: string; execution_id: string }>;
      const accepted: string[] = [];
      const blocked = new Set<string>();
      for (const row of all) {
        if (blocked.has(row.execution_id)) continue;
        if (mine.has(String(row.id))) accepted.push(String(row.id));
        else blocked.add(row.execution_id); // an earlier row is elsewhere: leave the rest for later
      }
      if (!accepted.length) return [];
      const rows = (
        await trx.raw(
          `update ${OUTBOX_TABLE} set lease_until = now() + ? * interval '1 millisecond', lease_owner = ?, attempts = attempts + 1
           where id = any(?) returning id, message_id, name, topic, body, headers, published_ms`,
          [leaseMs, owner, accepted],
        )
      ).rows as Array<{ id: string; message_id: string; name: string; topic: string; body: Buffer | Uint8Array; headers: Record<string, string | number | boolean> | string; published_ms: string | number }>;
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      return rows.map((r) => ({
        id: String(r.id),
        messageId: r.message_id,
        name: r.name,
        topic: r.topic,
        body: Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body),
        headers: typeof r.headers === 'string' ? (JSON.parse(r.headers) as Record<string, string | number | boolean>) : r.headers,
        timestamp: Number(r.published_ms),
      }));
    });
  }

  async markSent(knex: Knex, owner: string, ids: readonly string[]): Promise<void> {
    await knex.raw(`update ${OUTBOX_TABLE} set sent_at = now(), lease_until = null, last_error = null where id = any(?) and lease_owner = ?`, [[...ids], owner]);
  }

  /** Gives the rows back at once (publish failed), with the error for whoever looks. */
  async release(knex: Knex, owner: string, ids: readonly string[], error: string): Promise<void> {
    await knex.raw(`update ${OUTBOX_TABLE} set lease_until = null, last_error = ? where id = any(?) and lease_owner = ? and sent_at is null`, [error.slice(0, 1000), [...ids], owner]);
  }

  async stats(knex: Knex): Promise<OutboxStats> {
    const row = (
      await knex.raw(
        `select count(*)::int as n, coalesce(extract(epoch from (now() - min(due_at))) * 1000, 0)::float8 as lag
         from ${OUTBOX_TABLE} where service = ? and sent_at is null and due_at <= now()`,
        [this.service],
      )
    ).rows[0] as { n: number; lag: number };
    return { pending: Number(row.n), lagMs: Math.max(0, Math.round(Number(row.lag))) };
  }

  /** Milliseconds until the next delayed row is due (undefined when none waits). */
  async nextDueInMs(knex: Knex): Promise<number | undefined> {
    const row = (
      await knex.raw(`select extract(epoch from (min(due_at) - now())) * 1000 as ms from ${OUTBOX_TABLE} where service = ? and sent_at is null and due_at > now()`, [this.service])
    ).rows[0] as { ms: number | string | null };
    return row.ms === null ? undefined : Math.max(0, Number(row.ms));
  }

  /** Deletes sent rows older than the retention (in bounded chunks). Returns how many. */
  async prune(knex: Knex, retentionMs: number): Promise<number> {
    const result = await knex.raw(
      `delete from ${OUTBOX_TABLE} where id in (select id from ${OUTBOX_TABLE} where service = ? and sent_at is not null and sent_at < now() - ? * interval '1 millisecond' limit 5000)`,
      [this.service, retentionMs],
    );
    return (result as { rowCount?: number }).rowCount ?? 0;
  }
}
