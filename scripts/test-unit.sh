#!/usr/bin/env bash
# npm run test:unit: every in-process test, with no PostgreSQL, RabbitMQ or Redis installed or
# running (embedded engines only). Files that need a server end in .int.test.ts; `npm test` runs
# those too. Usage: npm run test:unit [-- test/core/cli.test.ts ...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
# Nothing listens on these: a unit test that reaches for a server fails instead of finding one.
export DATABASE_URL=postgres://nobody:none@127.0.0.1:9/none AMQP_URL=amqp://nobody:none@127.0.0.1:9 REDIS_URL=redis://127.0.0.1:9
npm run --silent build
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' ! -name '*.int.test.ts' | sort); fi
exec node --conditions=source --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-3}" --test-timeout=300000 "${files[@]}"
