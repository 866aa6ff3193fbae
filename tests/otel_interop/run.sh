#!/usr/bin/env bash
# The OpenTelemetry JS interop test: OpenTelemetry JS (@opentelemetry/api
# and @opentelemetry/core's W3C propagators over @grpc/grpc-js, versions
# pinned in package-lock.json) as the client and as the leaf of the example
# chain
#
#   client.js -> front (C++, gls) -> middle (C++, gls) -> leaf.js
#
# where the front calls the middle on its three paths (handler thread, gls
# pool, std::async) with fresh ClientContexts. client.js checks what
# OpenTelemetry parsed at the leaf on every path (see its scenarios). The
# chain runs three times: with OTEL_PROPAGATORS unset, =none and
# =tracecontext on the C++ servers.
#
# Installs Debian's nodejs and npm if node or npm is missing, and the npm
# packages (npm ci) into BIN_DIR/otel_interop, not into the source tree.
#
#   tests/otel_interop/run.sh BIN_DIR   (BIN_DIR holds greeter_server)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$1" && pwd)
proto="$here/../../proto/greeter.proto"
. "$here/../../scripts/common.sh"
gls_install_node

node_dir="$bin/otel_interop"
mkdir -p "$node_dir"
cp "$here/leaf.js" "$here/client.js" "$here/package.json" "$node_dir/"
if ! cmp -s "$here/package-lock.json" "$node_dir/package-lock.json" ||
   [ ! -d "$node_dir/node_modules/@opentelemetry/core/build" ]; then
  cp "$here/package-lock.json" "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

export CLOUDWEGO_SESSION_CONFIG_KEY=true,10,1h
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${pids[@]+"${pids[@]}"}; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# started NAME: waits for NAME's "listening on" line, stores its port in $port.
started() {
  port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/$1.out")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "$1 did not start:" >&2
  cat "$work/$1.out" >&2
  return 1
}

# chain LABEL SCENARIO...: starts leaf.js, middle and front, runs client.js
# with SCENARIOs, stops them. OTEL_PROPAGATORS, if set, reaches the servers.
chain() {
  local label=$1
  shift
  pids=()
  # Emptied here, not by the background processes' redirections: those may
  # run after started() reads, which would then find the last chain's port.
  : >"$work/leaf.out"
  : >"$work/middle.out"
  : >"$work/front.out"
  node "$node_dir/leaf.js" "$proto" leaf >"$work/leaf.out" 2>&1 &
  pids+=($!)
  started leaf
  local leaf=$port
  "$bin/greeter_server" --port=0 --name=middle --backend="127.0.0.1:$leaf" \
    --paths=handler-thread >"$work/middle.out" 2>&1 &
  pids+=($!)
  started middle
  local middle=$port
  "$bin/greeter_server" --port=0 --name=front --backend="127.0.0.1:$middle" \
    >"$work/front.out" 2>&1 &
  pids+=($!)
  started front
  echo "== $label: client.js -> front :$port -> middle :$middle -> leaf.js :$leaf"
  local status=0
  node "$node_dir/client.js" "$proto" "127.0.0.1:$port" leaf "$@" || status=$?
  cleanup_servers
  if [ "$status" != 0 ]; then
    for name in front middle leaf; do
      echo "-- $name log:"
      cat "$work/$name.out"
    done
    return "$status"
  fi
}
cleanup_servers() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

unset OTEL_PROPAGATORS
chain "OTEL_PROPAGATORS unset" full many large invalid zero crosstalk
OTEL_PROPAGATORS=none chain "OTEL_PROPAGATORS=none" none
OTEL_PROPAGATORS=tracecontext chain "OTEL_PROPAGATORS=tracecontext" tracecontext
echo "== OpenTelemetry JS interop: all passed"
