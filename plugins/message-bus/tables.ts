// The framework's own tables (outbox, inbox) are created at start, once, whoever starts first:
// two processes running CREATE TABLE at once can collide in PostgreSQL's catalog.
import type { Knex } from 'jararaca/knex-session';

/** Runs `statements` in one transaction holding an advisory lock named after `table`. */
export async function createOwnTable(knex: Knex, table: string, statements: readonly string[]): Promise<void> {
  await knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [table]);
    for (const sql of statements) await trx.raw(sql);
  });
}
