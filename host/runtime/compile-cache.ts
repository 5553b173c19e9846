// Node ≥ 22.1 can keep V8's compiled code of every module on disk (the OS temp folder, or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off): each process after the first
// (a role's start, a test process) skips most of compiling the framework, Fastify, knex and
// PGlite's JavaScript. It covers only modules compiled after it is on, hence its importers (the
// bin, the kit's entry) import it first and the rest afterwards. Node 20 has no such cache.
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
