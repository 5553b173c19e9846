#!/usr/bin/env bash
# The test command (README, .ci/run): installs and starts PostgreSQL, RabbitMQ and Redis when
# missing, builds, type-checks, then runs every test file with node's test runner.
# Usage: npm test [-- test/some.test.ts ...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/services.sh start
bash scripts/tools.sh
export DATABASE_URL=${DATABASE_URL:-postgres://jararaca:jararaca@127.0.0.1:5432/jararaca}
export AMQP_URL=${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
npm run --silent build
npx tsc --noEmit -p tsconfig.check.json
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
exec node --conditions=source --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-3}" --test-timeout=300000 "${files[@]}"
