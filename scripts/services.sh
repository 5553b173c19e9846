#!/usr/bin/env bash
# Local backing services for jararaca's tests: PostgreSQL 15, Redis 7, RabbitMQ 3.10
# (Debian 12 packages, no systemd).
#
#   bash scripts/services.sh start  [postgres] [redis] [rabbitmq]   # default: all three
#   bash scripts/services.sh stop   [postgres] [redis] [rabbitmq]
#   bash scripts/services.sh status [postgres] [redis] [rabbitmq]   # exit 3 if any is down
#
# `start` is idempotent: it installs only missing packages, starts only servers whose
# port is not listening, and (re)ensures the PostgreSQL role/database `jararaca`.
# RabbitMQ starts on an empty data folder of its own (JARARACA_RABBITMQ_BASE, default
# $TMPDIR/jararaca-rabbitmq), never on the machine's /var/lib/rabbitmq.
# Environment: SERVICES_TIMEOUT (seconds to wait per server, default 60),
#              PG_VERSION (default 15), PG_CLUSTER (default main).
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
TIMEOUT="${SERVICES_TIMEOUT:-60}"
LOG_DIR="${TMPDIR:-/tmp}"
APT_LOG="$LOG_DIR/jararaca-services-apt.log"
REDIS_LOG="$LOG_DIR/jararaca-redis.log"

ALL_SERVICES=(postgres redis rabbitmq)

log() { echo "[services] $*"; }
err() { echo "[services] ERROR: $*" >&2; }
die() { err "$*"; exit 1; }

SUDO=()
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "must run as root (or have sudo)"
  SUDO=(sudo)
fi

port_of() {
  case "$1" in
    postgres) echo 5432 ;;
    redis) echo 6379 ;;
    rabbitmq) echo 5672 ;;
  esac
}

package_of() {
  case "$1" in
    postgres) echo postgresql ;;
    redis) echo redis-server ;;
    rabbitmq) echo rabbitmq-server ;;
  esac
}

# Cheap readiness probe: a TCP connect to loopback (refused immediately when closed).
listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_port NAME PORT: poll until PORT accepts connections or TIMEOUT elapses.
wait_port() {
  local name="$1" port="$2" deadline=$((SECONDS + TIMEOUT))
  until listening "$port"; do
    if ((SECONDS >= deadline)); then
      err "$name did not come up on 127.0.0.1:$port within ${TIMEOUT}s"
      return 1
    fi
    sleep 0.2
  done
}

# ---------------------------------------------------------------- install

ensure_packages() {
  local missing=() svc pkg
  for svc in "$@"; do
    pkg="$(package_of "$svc")"
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]})) || return 0

  log "installing ${missing[*]} (log: $APT_LOG)"
  local t0=$SECONDS
  : >"$APT_LOG"
  if ! "${SUDO[@]}" apt-get update >>"$APT_LOG" 2>&1 ||
     ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
         apt-get install -y --no-install-recommends "${missing[@]}" >>"$APT_LOG" 2>&1; then
    err "apt-get failed; log follows:"
    cat "$APT_LOG" >&2
    exit 1
  fi
  log "installed ${missing[*]} in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- start

start_postgres() {
  local port; port="$(port_of postgres)"
  if listening "$port"; then
    log "postgres already listening on :$port"
  else
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$PG_VERSION $PG_CLUSTER"; then
      log "creating PostgreSQL cluster $PG_VERSION/$PG_CLUSTER"
      "${SUDO[@]}" pg_createcluster "$PG_VERSION" "$PG_CLUSTER" >/dev/null ||
        { err "postgres: pg_createcluster $PG_VERSION $PG_CLUSTER failed"; return 1; }
    fi
    log "starting postgres"
    local out
    if ! out="$("${SUDO[@]}" pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start 2>&1)"; then
      # It may have been started concurrently; only fail if it is really not up.
      if ! listening "$port"; then
        err "postgres failed to start: $out"
        err "see /var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log"
        return 1
      fi
    fi
    wait_port postgres "$port" || return 1
  fi
  ensure_pg_objects
}

# Role and database `jararaca`, idempotently, in one psql call over the Unix socket.
ensure_pg_objects() {
  local sql
  sql=$(cat <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'jararaca') THEN
    CREATE ROLE jararaca LOGIN CREATEDB SUPERUSER PASSWORD 'jararaca';
  ELSE
    ALTER ROLE jararaca LOGIN CREATEDB SUPERUSER PASSWORD 'jararaca';
  END IF;
END
$$;
SELECT 'CREATE DATABASE jararaca OWNER jararaca'
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'jararaca')\gexec
SQL
)
  local out deadline=$((SECONDS + TIMEOUT))
  # Right after start the server may still refuse connections ("starting up"): retry.
  until out="$(cd / && printf '%s\n' "$sql" |
      "${SUDO[@]}" runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 \
        -p "$(port_of postgres)" -d postgres 2>&1)"; do
    if ((SECONDS >= deadline)); then
      err "postgres: could not create role/database jararaca: $out"
      return 1
    fi
    sleep 0.3
  done
  [[ $out == *"CREATE DATABASE"* ]] && log "postgres: created database jararaca"
  return 0
}

start_redis() {
  local port; port="$(port_of redis)"
  if listening "$port"; then
    log "redis already listening on :$port"
    return 0
  fi
  log "starting redis"
  "${SUDO[@]}" redis-server --daemonize yes --bind 127.0.0.1 --port "$port" \
    --save "" --appendonly no --dir /tmp --logfile "$REDIS_LOG" >/dev/null ||
    { err "redis failed to start (see $REDIS_LOG)"; return 1; }
  wait_port redis "$port" || { err "see $REDIS_LOG"; return 1; }
}

# The tests' broker keeps its data in a folder of its own, emptied at every start: a
# machine's /var/lib/rabbitmq can hold thousands of queues from earlier runs, and a node
# recovering them can take minutes to open its port (or never does).
RABBIT_BASE="${JARARACA_RABBITMQ_BASE:-${TMPDIR:-/tmp}/jararaca-rabbitmq}"
RABBIT_ENV=(RABBITMQ_MNESIA_BASE="$RABBIT_BASE/mnesia" RABBITMQ_LOG_BASE="$RABBIT_BASE/log")

rabbit_pids() {
  pgrep -f 'beam.*rabbit' 2>/dev/null || true
}

# Is this RabbitMQ process the tests' node (started by this script, on RABBIT_BASE)?
rabbit_is_ours() {
  "${SUDO[@]}" cat "/proc/$1/environ" 2>/dev/null | tr '\0' '\n' |
    grep -qxF "RABBITMQ_MNESIA_BASE=$RABBIT_BASE/mnesia"
}

rabbit_log_tail() {
  local f
  for f in "$RABBIT_BASE"/log/*.log; do
    [[ -f $f ]] || continue
    err "last lines of $f:"
    "${SUDO[@]}" tail -n 25 "$f" >&2 || true
  done
}

start_rabbitmq() {
  local port; port="$(port_of rabbitmq)"
  if listening "$port"; then
    log "rabbitmq already listening on :$port"
    return 0
  fi
  local pid booting=0
  for pid in $(rabbit_pids); do
    if rabbit_is_ours "$pid"; then
      booting=1
    else
      # A node on the machine's own data that does not serve the port (still recovering
      # old queues, or stuck): it would hold the node name and, later, the port.
      log "rabbitmq: stopping node pid $pid, which is not serving :$port (its data is not the tests')"
      "${SUDO[@]}" kill "$pid" 2>/dev/null || true
      local deadline=$((SECONDS + 10))
      while "${SUDO[@]}" kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
      "${SUDO[@]}" kill -9 "$pid" 2>/dev/null || true
    fi
  done
  if ((booting)); then
    log "rabbitmq node already booting; waiting"
  else
    log "starting rabbitmq (data: $RABBIT_BASE, emptied)"
    "${SUDO[@]}" rm -rf "$RABBIT_BASE"
    "${SUDO[@]}" install -d -o rabbitmq -g rabbitmq "$RABBIT_BASE" "$RABBIT_BASE/mnesia" "$RABBIT_BASE/log"
    "${SUDO[@]}" env "${RABBIT_ENV[@]}" rabbitmq-server -detached >/dev/null 2>&1 ||
      { err "rabbitmq failed to start"; rabbit_log_tail; return 1; }
  fi
  wait_port rabbitmq "$port" || { rabbit_log_tail; return 1; }
  if ! "${SUDO[@]}" timeout "$TIMEOUT" rabbitmqctl -q await_startup >/dev/null 2>&1; then
    err "rabbitmq: 'rabbitmqctl await_startup' failed or timed out"
    rabbit_log_tail
    return 1
  fi
}

cmd_start() {
  local t0=$SECONDS svc
  ensure_packages "$@"

  # Start the selected servers in parallel, then wait for each.
  local -A pids=()
  for svc in "$@"; do
    "start_$svc" &
    pids[$svc]=$!
  done
  local failed=()
  for svc in "$@"; do
    wait "${pids[$svc]}" || failed+=("$svc")
  done
  if ((${#failed[@]})); then
    die "failed to start: ${failed[*]}"
  fi

  log "ready in $((SECONDS - t0))s"
  local selected=" $* "
  [[ $selected == *" postgres "* ]] &&
    echo "DATABASE_URL=postgres://jararaca:jararaca@127.0.0.1:5432/jararaca"
  [[ $selected == *" rabbitmq "* ]] && echo "AMQP_URL=amqp://guest:guest@127.0.0.1:5672"
  [[ $selected == *" redis "* ]] && echo "REDIS_URL=redis://127.0.0.1:6379"
  return 0
}

# ---------------------------------------------------------------- stop

stop_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 0
  if pg_lsclusters -h 2>/dev/null | awk '$1==v && $2==c && $4 ~ /^online/' \
       v="$PG_VERSION" c="$PG_CLUSTER" | grep -q .; then
    log "stopping postgres"
    "${SUDO[@]}" pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" stop >/dev/null 2>&1 || true
  fi
}

stop_redis() {
  command -v redis-cli >/dev/null 2>&1 || return 0
  local port; port="$(port_of redis)"
  if listening "$port"; then
    log "stopping redis"
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
  fi
}

stop_rabbitmq() {
  command -v rabbitmqctl >/dev/null 2>&1 || return 0
  if [[ -n $(rabbit_pids) ]]; then
    log "stopping rabbitmq"
    "${SUDO[@]}" rabbitmqctl -q shutdown >/dev/null 2>&1 || true
  fi
  if command -v epmd >/dev/null 2>&1 && pgrep -x epmd >/dev/null 2>&1; then
    "${SUDO[@]}" epmd -kill >/dev/null 2>&1 || true
  fi
}

cmd_stop() {
  local svc pids=()
  for svc in "$@"; do
    "stop_$svc" &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  log "stopped: $*"
}

# ---------------------------------------------------------------- status

cmd_status() {
  local svc port down=0
  for svc in "$@"; do
    port="$(port_of "$svc")"
    if listening "$port"; then
      log "$(printf '%-9s 127.0.0.1:%-5s listening' "$svc" "$port")"
    else
      log "$(printf '%-9s 127.0.0.1:%-5s not listening' "$svc" "$port")"
      down=1
    fi
  done
  ((down == 0)) || exit 3
}

# ---------------------------------------------------------------- main

usage() {
  echo "usage: $0 start|stop|status [postgres] [redis] [rabbitmq]" >&2
  exit 2
}

(($# >= 1)) || usage
cmd="$1"; shift
services=()
for arg in "$@"; do
  case "$arg" in
    postgres|redis|rabbitmq) services+=("$arg") ;;
    *) err "unknown service '$arg' (expected: ${ALL_SERVICES[*]})"; usage ;;
  esac
done
((${#services[@]})) || services=("${ALL_SERVICES[@]}")

case "$cmd" in
  start) cmd_start "${services[@]}" ;;
  stop) cmd_stop "${services[@]}" ;;
  status) cmd_status "${services[@]}" ;;
  *) usage ;;
esac
