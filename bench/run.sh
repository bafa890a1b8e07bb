#!/usr/bin/env bash
# The project's benchmark, in one run on one machine: the reference harness (anchors.sh: a
# fake provider in nginx, bare Litestar forwarders, LiteLLM with WITH_LITELLM=1) and the
# gateway itself — started here on its embedded default (SQLite, one worker, no Redis),
# seeded through its API with a key, a resource and one routing rule — at 1 and 32 connections,
# then the gateway's peak memory. When Redis answers (BENCH_REDIS_URL, default
# redis://127.0.0.1:6379/0), a second gateway with the redis-limiter checking a connection,
# a resource and a key limit on every request (bench/seed.py --redis-limiter) is measured
# under the same load.
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
REDIS_URL=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/0}
DATA=$(mktemp -d)
PASSWORD=bench-admin-password
GWS=()
cleanup() { for gw in "${GWS[@]}"; do kill "$gw" 2>/dev/null || true; done; rm -rf "$DATA"; }
trap cleanup EXIT
start_gateway() { # port data-dir [redis-url]: starts, waits until ready, seeds; prints the key
  mkdir -p "$2"
  ( cd "$2" && SWITCHBOARD_DATA_DIR="$2" SWITCHBOARD_ADMIN_PASSWORD=$PASSWORD \
      SWITCHBOARD_PORT=$1 SWITCHBOARD_LOG_LEVEL=warning SWITCHBOARD_REDIS_URL=${3:-} \
      exec "$ROOT/.venv/bin/switchboard" serve ) >"$2/gateway.log" 2>&1 &
  GWS+=($!)
  for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$1/readyz" && break; sleep 0.5; done
  curl -sf -o /dev/null "http://127.0.0.1:$1/readyz" || { echo "bench: the gateway did not start:" >&2; cat "$2/gateway.log" >&2; exit 1; }
}
peak_memory() { # the worker is a child of the `switchboard serve` process: the largest set
  for pid in $1 $(pgrep -P "$1" || true); do
    awk -v p="$pid" -v n="$2" '/VmHWM/ {printf "peak memory, %s (pid %s): %.1f MiB\n", n, p, $2/1024}' "/proc/$pid/status"
  done
}
warm_up() { # url key: 3 s of load first, as anchors.sh gives LiteLLM (lazy loads, first connections)
  BENCH_KEY=$2 BENCH_MODEL=gpt-4o-mini wrk -t1 -c8 -d3s -s "$HERE/chat.lua" "$1" >/dev/null
}
start_gateway "$PORT" "$DATA/plain"
KEY=$("$ROOT/.venv/bin/python" "$HERE/seed.py" "http://127.0.0.1:$PORT" "$PASSWORD")
warm_up "http://127.0.0.1:$PORT/v1/chat/completions" "$KEY"
"$HERE/anchors.sh" "http://127.0.0.1:$PORT/v1/chat/completions" "$KEY" gpt-4o-mini
peak_memory "${GWS[0]}" "gateway"
kill "${GWS[0]}"
if "$ROOT/.venv/bin/python" -c "import redis, sys; redis.Redis.from_url(sys.argv[1]).ping()" "$REDIS_URL" 2>/dev/null; then
  start_gateway "$((PORT + 1))" "$DATA/redis" "$REDIS_URL"
  KEY=$("$ROOT/.venv/bin/python" "$HERE/seed.py" "http://127.0.0.1:$((PORT + 1))" "$PASSWORD" --redis-limiter)
  warm_up "http://127.0.0.1:$((PORT + 1))/v1/chat/completions" "$KEY"
  # The same measurement as anchors.sh's, for this one target.
  for c in 1 32; do
    BENCH_KEY=$KEY BENCH_MODEL=gpt-4o-mini wrk -t1 -c$c -d"${DUR:-8s}" -s "$HERE/chat.lua" --latency "http://127.0.0.1:$((PORT + 1))/v1/chat/completions" \
      | awk -v c=$c '/ 50%/{p50=$2} / 99%/{p99=$2} /Requests\/sec/{r=$2} /Non-2xx/{e=$NF} END{printf "c%s: rps=%s p50=%s p99=%s non2xx=%s  ", c, r, p50, p99, e+0}'
  done | { printf '%-30s ' "gateway + redis-limiter x3"; cat; echo; }
  peak_memory "${GWS[1]}" "gateway + redis-limiter"
else
  echo "bench: Redis at $REDIS_URL does not answer; the redis-limiter run is skipped"
fi
