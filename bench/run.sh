#!/usr/bin/env bash
# The project's benchmark, in one run on one machine: the reference harness (anchors.sh: a
# fake provider in nginx, bare Litestar forwarders, LiteLLM with WITH_LITELLM=1) and the
# gateway itself — started here on its embedded default (SQLite, one worker, no Redis),
# seeded through its API with a key, a resource and one routing rule — at 1 and 32 connections,
# then the gateway's peak memory.
#   bench/run.sh                 everything above
#   bench/run.sh URL KEY MODEL   the reference harness and an already running gateway instead
# Installs nginx, its echo module and wrk with apt-get when they are missing (as root).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
need=()
command -v nginx >/dev/null || need+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ] || need+=(libnginx-mod-http-echo)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q "${need[@]}" >/dev/null
  else
    echo "bench: missing ${need[*]}; install them: sudo apt-get install -y ${need[*]}" >&2
    exit 2
  fi
fi
if [ $# -ge 3 ]; then exec "$HERE/anchors.sh" "$@"; fi

PORT=${BENCH_GATEWAY_PORT:-19010}
DATA=$(mktemp -d)
PASSWORD=bench-admin-password
cleanup() { [ -n "${GW:-}" ] && kill "$GW" 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT
( cd "$DATA" && SWITCHBOARD_DATA_DIR="$DATA" SWITCHBOARD_ADMIN_PASSWORD=$PASSWORD \
    SWITCHBOARD_PORT=$PORT SWITCHBOARD_LOG_LEVEL=warning \
    exec "$ROOT/.venv/bin/switchboard" serve ) >"$DATA/gateway.log" 2>&1 &
GW=$!
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.5; done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" || { echo "bench: the gateway did not start:"; cat "$DATA/gateway.log"; exit 1; }
KEY=$("$ROOT/.venv/bin/python" "$HERE/seed.py" "http://127.0.0.1:$PORT" "$PASSWORD")
"$HERE/anchors.sh" "http://127.0.0.1:$PORT/v1/chat/completions" "$KEY" gpt-4o-mini
# The worker is a child of the `switchboard serve` process; report the largest resident set.
for pid in $GW $(pgrep -P "$GW" || true); do
  awk -v p="$pid" '/VmHWM/ {printf "peak memory (pid %s): %.1f MiB\n", p, $2/1024}' "/proc/$pid/status"
done
