#!/usr/bin/env bash
# Runs the example chain client -> front -> middle -> leaf on free loopback
# ports, with CLOUDWEGO_SESSION_CONFIG_KEY=true,10,1h on the servers:
#   1. one request: the client's table of what each hop received, and the
#      backward values the response brought back to the client;
#   2. one "slow" request with a 300 ms deadline, and the leaf's log lines
#      saying when it saw the cancellation (one per path of the front);
#   3. stops the servers (SIGTERM) and prints the gls counters each one logs
#      at exit (gls::FormatStats; counters at zero left out).
# With --compare, then runs 1 and 2 on a second chain whose servers are all
# started with --backup=false (the "before"). Further arguments are passed to
# every greeter_client run. Exits non-zero if a client or server fails.
# With GLS_TRACE=1 in the environment, also prints each server's log (gls's
# trace lines) after its chain is stopped.
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
# The front calls the middle on three paths, so a request reaches the leaf
# three times.
# The front's paths: GLS_FRONT_PATHS (greeter_server --paths) or its
# default three.
front_flags=()
front_paths=3
if [ -n "${GLS_FRONT_PATHS:-}" ]; then
  front_flags=(--paths="$GLS_FRONT_PATHS")
  front_paths=$(echo "$GLS_FRONT_PATHS" | tr ',' '\n' | grep -c .)
fi
deadline_ms=300
work=$(mktemp -d)
declare -A pid_of=()
cleanup() {
  for pid in "${pid_of[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pid_of[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME ARGS...: starts a server whose log is $work/NAME.out, waits for
# its port, stores it in $port.
start() {
  local name=$1
  shift
  "$bin/greeter_server" --port=0 "$@" >"$work/$name.out" 2>&1 &
  pid_of[$name]=$!
  port=""
  for _ in $(seq 1 100); do
    # (The log may not exist yet: the server's shell has not opened it.)
    port=$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/$name.out" 2>/dev/null)
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$work/$name.out" >&2
  return 1
}

# stop NAME: SIGTERM, then waits for the server to exit (it shuts down
# within 2 s); one still running after 15 s is reported with its log and
# killed, so that a hang shows which server and what it last said.
stop() {
  local pid=${pid_of[$1]}
  kill -TERM "$pid"
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$1 did not exit within 15 s of SIGTERM; its log:" >&2
    cat "$work/$1.out" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  local status=0
  wait "$pid" || status=$?
  unset "pid_of[$1]"
  if [ "$status" != 0 ]; then
    echo "$1 exited with status $status:" >&2
    cat "$work/$1.out" >&2
    return 1
  fi
}

# chain SUFFIX SERVER_FLAG...: starts leaf, middle and front (log names end
# in SUFFIX), runs the two requests, stops the servers.
chain() {
  local suffix=$1
  shift
  local leaf middle front
  start "leaf$suffix" --name=leaf "$@"
  leaf=$port
  start "middle$suffix" --name=middle --backend="127.0.0.1:$leaf" \
    --paths=handler-thread "$@"
  middle=$port
  start "front$suffix" --name=front --backend="127.0.0.1:$middle" \
    ${front_flags[@]+"${front_flags[@]}"} "$@"
  front=$port
  echo "   client -> front (127.0.0.1:$front) -> middle (127.0.0.1:$middle) -> leaf (127.0.0.1:$leaf)"
  "$bin/greeter_client" --target="127.0.0.1:$front" \
    ${client_flags[@]+"${client_flags[@]}"}
  echo
  "$bin/greeter_client" --target="127.0.0.1:$front" --slow \
    --deadline_ms="$deadline_ms" ${client_flags[@]+"${client_flags[@]}"}
  # The leaf logs one line per slow call when it stops working on it.
  local log="$work/leaf$suffix.out"
  for _ in $(seq 1 100); do
    [ "$(grep -c ': slow call ' "$log")" -ge "$front_paths" ] && break
    sleep 0.1
  done
  grep ': slow call ' "$log" || echo "(the leaf logged no slow call)"
  for name in front middle leaf; do stop "$name$suffix"; done
}

# counters SUFFIX: each server's "gls counters:" line, zeros left out.
counters() {
  echo "gls counters at exit (gls::FormatStats; zeros left out):"
  for name in front middle leaf; do
    sed -n 's/^[a-z]* gls counters: //p' "$work/$name$1.out" |
      awk -v n="$name" '{
        line = ""
        for (i = 1; i <= NF; i++) if ($i !~ /=0$/) line = line " " $i
        printf "%-7s%s\n", n, line
      }'
  done
}

# logs SUFFIX: with GLS_TRACE set, each server's whole log.
logs() {
  [ -n "${GLS_TRACE:-}" ] || return 0
  for name in front middle leaf; do
    echo "-- $name$1 log:"
    cat "$work/$name$1.out"
  done
}

echo "== with gls (CLOUDWEGO_SESSION_CONFIG_KEY=$CLOUDWEGO_SESSION_CONFIG_KEY)"
chain ""
echo
counters ""
logs ""
if [ "$compare" = --compare ]; then
  echo
  echo "== without gls (every server started with --backup=false): the same handlers forget the request"
  chain -plain --backup=false
  logs -plain
fi
