// jararaca/knex-session/embedded: a pglite://memory database started ahead of need, for the test
// kit, which calls it before it loads the framework (host/testing/embedded.ts). Nothing of the
// framework is imported here; knex-session's first memory database takes the one started.
export { prepareMemoryPglite } from './pglite-memory.ts';
