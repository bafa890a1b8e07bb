#!/usr/bin/env bash
# The project's benchmark: the reference harness (anchors.sh: a fake provider in nginx, bare
# Litestar forwarders, optionally LiteLLM with WITH_LITELLM=1) and, given a gateway URL, key
# and resource, the gateway under test, all in one run on one machine.
#   bench/run.sh                                   reference figures only
#   bench/run.sh URL KEY MODEL                     plus a running gateway
# Installs nginx, its echo module and wrk with apt-get when they are missing (as root).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
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
exec "$HERE/anchors.sh" "$@"
