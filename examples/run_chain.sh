#!/usr/bin/env bash
# Runs the example chain: client -> front -> leaf, on free loopback ports,
# with CLOUDWEGO_SESSION_CONFIG_KEY=true,10,1h on the servers. Prints the
# client's table, stops the servers it started, and exits with the client's
# status. With --compare, also runs a front with --backup=false (the "before").
# Further arguments are passed to every greeter_client run.
#
#   examples/run_chain.sh BIN_DIR [--compare] [CLIENT_FLAG...]
set -euo pipefail
bin=$1
shift
compare=""
if [ "${1:-}" = --compare ]; then
  compare=--compare
  shift
fi
client_flags=("$@")
export CLOUDWEGO_SESSION_CONFIG_KEY=true,10,1h
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME ARGS...: starts a server, waits for its port, prints it.
start() {
  local name=$1
  shift
  "$bin/greeter_server" --port=0 "$@" >"$work/$name.out" 2>&1 &
  pids+=($!)
  local port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$name.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "$name did not start:" >&2
    cat "$work/$name.out" >&2
    return 1
  fi
  echo "$port"
}

leaf=$(start leaf --name=leaf)
front=$(start front --backend="127.0.0.1:$leaf" --name=front)
echo "== with gls: client -> front (127.0.0.1:$front) -> leaf (127.0.0.1:$leaf)"
echo "   CLOUDWEGO_SESSION_CONFIG_KEY=$CLOUDWEGO_SESSION_CONFIG_KEY"
"$bin/greeter_client" --target="127.0.0.1:$front" ${client_flags[@]+"${client_flags[@]}"}
if [ "$compare" = --compare ]; then
  plain=$(start plain --backend="127.0.0.1:$leaf" --name=front --backup=false)
  echo
  echo "== without gls (front started with --backup=false): the same handler forgets the request"
  "$bin/greeter_client" --target="127.0.0.1:$plain" ${client_flags[@]+"${client_flags[@]}"}
fi
