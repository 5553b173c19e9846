#!/usr/bin/env bash
# Tools the tests drive (not servers): Chromium for the browser tests (through playwright-core,
# never a downloaded browser) and Prometheus (promtool, and a server that scrapes the roles).
# Idempotent: installs only what is missing. Usage: bash scripts/tools.sh
set -euo pipefail
LOG="${TMPDIR:-/tmp}/jararaca-tools-apt.log"
SUDO=(); [[ $EUID -eq 0 ]] || SUDO=(sudo)
missing=()
for pkg in chromium prometheus; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
echo "[tools] installing ${missing[*]} (log: $LOG)"
t0=$SECONDS
if ! { "${SUDO[@]}" apt-get update && "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
         apt-get install -y --no-install-recommends "${missing[@]}"; } >"$LOG" 2>&1; then
  echo "[tools] ERROR: apt-get failed; log follows:" >&2; cat "$LOG" >&2; exit 1
fi
# The Debian package starts a Prometheus service on :9090 where systemd runs; tests start their own.
"${SUDO[@]}" pkill -x prometheus 2>/dev/null || true
echo "[tools] installed ${missing[*]} in $((SECONDS - t0))s"
