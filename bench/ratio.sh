#!/usr/bin/env bash
# The gateway's share of the bare aiohttp forwarder's throughput at 32 connections, measured
# alternately ROUNDS times (default 5) so that both see the same moments of a shared machine;
# prints each round and the median. The gateway starts on its embedded default and is seeded
# as in run.sh. GATEWAY_ENV passes variables to it, e.g. to measure without the recorders:
#   GATEWAY_ENV=SWITCHBOARD_DISABLE_PLUGINS=database-recorder,prometheus bench/ratio.sh
# Needs what run.sh needs (it installs nginx, its echo module and wrk when they are missing).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ROUNDS=${1:-5}
PORT=${BENCH_GATEWAY_PORT:-19020}
DIR=${ANCHORS_DIR:-${TMPDIR:-/tmp}/switchboard-anchors}
RUN="$DIR/mock-upstream"
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "run bench/run.sh once first (it installs nginx and wrk)" >&2; exit 2; }
mkdir -p "$RUN"
if [ ! -x "$DIR/stack/bin/uvicorn" ]; then python3 -m venv "$DIR/stack" && "$DIR/stack/bin/pip" install -q litestar msgspec httpx aiohttp uvicorn uvloop httptools; fi
[ -f "$RUN/nginx.pid" ] && kill -0 "$(cat "$RUN/nginx.pid")" 2>/dev/null || nginx -c "$HERE/mock-upstream.nginx.conf" -p "$RUN/"
DATA=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$DATA"
}
trap cleanup EXIT
# shellcheck disable=SC2086 # GATEWAY_ENV is a list of NAME=value words
( cd "$DATA" && exec env ${GATEWAY_ENV:-} SWITCHBOARD_DATA_DIR="$DATA" SWITCHBOARD_ADMIN_PASSWORD=bench-admin-password \
    SWITCHBOARD_PORT="$PORT" SWITCHBOARD_LOG_LEVEL=warning "$ROOT/.venv/bin/switchboard" serve ) >"$DATA/gateway.log" 2>&1 &
PIDS+=($!)
( cd "$HERE" && exec "$DIR/stack/bin/uvicorn" --loop uvloop --http httptools --log-level warning --port 19001 bare_litestar_aiohttp:app ) >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.5; done
KEY=$("$ROOT/.venv/bin/python" "$HERE/seed.py" "http://127.0.0.1:$PORT" bench-admin-password)
rps() { BENCH_KEY=$2 BENCH_MODEL=gpt-4o-mini wrk -t1 -c32 -d"${DUR:-6s}" -s "$HERE/chat.lua" "$1" | awk '/Requests\/sec/{print $2}'; }
GATEWAY="http://127.0.0.1:$PORT/v1/chat/completions"
BARE=http://127.0.0.1:19001/v1/chat/completions
rps "$GATEWAY" "$KEY" >/dev/null; rps "$BARE" sk-bench >/dev/null  # warm both up
RATIOS=()
for i in $(seq 1 "$ROUNDS"); do
  bare=$(rps "$BARE" sk-bench); gateway=$(rps "$GATEWAY" "$KEY")
  ratio=$(awk -v g="$gateway" -v b="$bare" 'BEGIN{printf "%.1f", 100*g/b}')
  RATIOS+=("$ratio")
  echo "round $i: bare $bare req/s, gateway $gateway req/s, $ratio%"
done
printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END{printf "median: %s%%\n", a[int((NR+1)/2)]}'
