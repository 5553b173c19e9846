import type { Knex } from 'jararaca/knex-session';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notes', (t) => {
    t.uuid('id').primary();
    t.string('text', 500).notNullable();
    t.string('status', 16).notNullable().defaultTo('new');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notes');
}
