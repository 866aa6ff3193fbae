#!/usr/bin/env bash
# Runs the example chain client -> front -> middle -> leaf as README's run
# command does (examples/run_chain.sh --compare) and checks, from its output:
#   1. persistent: the tenant reaches the middle and the leaf on all three of
#      the front's paths (two hops); without gls it is lost;
#   2. transient: rpc-transit-hop is seen by the front only, never by the
#      middle or the leaf; authorization likewise;
#   3. backward: the leaf's rpc-backward-served-by comes back to the client
#      (forwarded by middle and front); without gls it does not;
#   4. cancellation: the slow request's 300 ms deadline passes, and the leaf
#      sees each of its three slow calls cancelled after about 300 ms (well
#      before its 2000 ms of work); without gls it works them to the end;
#   5. counters: each server's gls::FormatStats line at exit counts the
#      requests it bound, the cancellations it propagated and the backward
#      values it carried.
# 6. With Asio: the front's asio-coroutine path (GLS_FRONT_PATHS), beside
#    handler-thread: tenant, trace and baggage reach the middle and the leaf
#    from the coroutine, and the slow call made from it is cancelled.
# Then sends a persistent binary header whose bytes are not UTF-8: the middle
# and the leaf must still reply, reporting it as "base64:..." (see
# examples/leaf_greeter.h).
#   tests/example_chain_test.sh BIN_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
# chain_run ARGS...: examples/run_chain.sh's output; if it fails, that output
# and its status too (what `out=$(...)` alone would hide).
chain_run() {
  local output status=0
  output=$("$here/examples/run_chain.sh" "$@") || status=$?
  if [ "$status" != 0 ]; then
    echo "$output" >&2
    fail "examples/run_chain.sh $* exited with status $status"
  fi
  echo "$output"
}
out=$(chain_run "$bin" --compare)
echo "$out"
with=$(echo "$out" | sed -n '/^== with gls/,/^== without gls/p')
without=$(echo "$out" | sed -n '/^== without gls/,$p')
[ -n "$with" ] || fail "no \"== with gls\" section"
[ -n "$without" ] || fail "no \"== without gls\" section"
paths="handler-thread thread-pool std-async"

# row SECTION SERVICE VIA: the table row (service, via, tenant, hop,
# authorization, other headers; "Bearer secret" counts as two fields).
row() { echo "$1" | awk -v s="$2" -v v="$3" '$1 == s && $2 == v'; }

# 1 and 2: the table.
set -- $(row "$with" front -)
[ $# -gt 0 ] || fail "no row for the front"
[ "$3" = acme ] || fail "front: tenant not received ($3)"
[ "$4" = edge ] || fail "front: the transient value not received ($4)"
trace_id=4bf92f3577b34da6a3ce929d0e0e4736
[ "$5" = "$trace_id" ] || fail "front: trace id not received ($5)"
[ "$6" = user=alice,tier=gold ] || fail "front: baggage not received ($6)"
[ "$7 $8" = "Bearer secret" ] || fail "front: authorization not received ($7 $8)"
for via in $paths; do
  for service in middle leaf; do
    set -- $(row "$with" "$service" "$via")
    [ $# -gt 0 ] || fail "no row for $service via $via"
    [ "$3" = acme ] || fail "$service via $via: tenant did not reach it ($3)"
    [ "$4" = - ] || fail "$service via $via: the transient value reached it ($4)"
    [ "$5" = "$trace_id" ] || fail "$service via $via: trace id did not reach it ($5)"
    [ "$6" = user=alice,tier=gold ] || fail "$service via $via: baggage did not reach it ($6)"
    [ "$7" = - ] || fail "$service via $via: authorization reached it ($7)"
    [[ " ${*:8} " == *" tracestate=congo=t61rcWkgMzE "* ]] ||
      fail "$service via $via: tracestate did not reach it (${*:8})"
    set -- $(row "$without" "$service" "$via")
    [ $# -gt 0 ] || fail "without gls: no row for $service via $via"
    [ "$3" = - ] || fail "$service via $via without gls: tenant should be lost ($3)"
    [ "$5 $6" = "- -" ] || fail "$service via $via without gls: trace and baggage should be lost ($5 $6)"
  done
done
echo "PASS 1, 2: tenant, trace id, tracestate and baggage at the middle and" \
  "the leaf on all three paths; transient value and authorization at the front only"

# 3: backward values.
echo "$with" | grep -qx 'backward values the client received: rpc-backward-served-by=leaf' ||
  fail "the leaf's backward value did not reach the client"
echo "$without" | grep -qx 'backward values the client received: none' ||
  fail "without gls: the client should receive no backward value"
echo "PASS 3: the leaf's backward value reaches the client"

# 4: cancellation.
echo "$with" | grep -qE '^slow request with a 300 ms deadline: DEADLINE_EXCEEDED after [0-9]+ ms$' ||
  fail "the slow request did not end with DEADLINE_EXCEEDED"
cancelled=$(echo "$with" | sed -n 's/^leaf: slow call cancelled after \([0-9]*\) ms (of 2000 ms of work)$/\1/p')
[ "$(echo "$with" | grep -c '^leaf: slow call ')" = 3 ] &&
  [ "$(echo "$cancelled" | grep -c .)" = 3 ] ||
  fail "the leaf did not see its 3 slow calls cancelled"
for ms in $cancelled; do
  # About 300 ms: well after the start, well before the 2000 ms of work.
  [ "$ms" -ge 100 ] && [ "$ms" -lt 1500 ] ||
    fail "the leaf saw a slow call cancelled after $ms ms, not about 300"
done
[ "$(echo "$without" | grep -c '^leaf: slow call finished after [0-9]* ms, never cancelled$')" = 3 ] ||
  fail "without gls: the leaf should work its 3 slow calls to the end"
echo "PASS 4: the leaf saw its slow calls cancelled after" $cancelled "ms"

# 5: counters.
# counter SERVICE NAME: the value of counter NAME in SERVICE's line (0 if
# left out as zero).
counter() {
  local line
  line=$(echo "$with" | sed -n '/^gls counters at exit/,/^$/p' | awk -v s="$1" '$1 == s')
  [ -n "$line" ] || fail "no counters line for $1"
  echo "$line" | tr ' ' '\n' | sed -n "s/^$2=//p" | grep . || echo 0
}
[ "$(counter front requests_bound)" = 2 ] || fail "front: requests_bound"
[ "$(counter middle requests_bound)" = 6 ] || fail "middle: requests_bound"
[ "$(counter leaf requests_bound)" = 6 ] || fail "leaf: requests_bound"
# Per call: the tenant, the traceparent, the tracestate and two baggage
# members; 2 requests x 3 paths.
[ "$(counter front values_restored)" = 30 ] || fail "front: values_restored"
[ "$(counter middle values_restored)" = 30 ] || fail "middle: values_restored"
[ "$(counter front cancellations_propagated)" = 3 ] ||
  fail "front: cancellations_propagated"
[ "$(counter middle cancellations_propagated)" = 3 ] ||
  fail "middle: cancellations_propagated"
for service in front middle leaf; do
  [ "$(counter "$service" backward_values_carried)" -ge 1 ] ||
    fail "$service: backward_values_carried"
done
echo "PASS 5: the servers' counters"

# The bytes ff 00 fe: not UTF-8, so a hop copying them into the reply's
# proto strings could not serialize it.
out=$(chain_run "$bin" --binary_header=rpc-persist-trace-bin=/wD+)
echo "$out"
for via in $paths; do
  for service in middle leaf; do
    set -- $(row "$out" "$service" "$via")
    [ $# -gt 0 ] || fail "binary header: no row for $service via $via"
    [[ " ${*:6} " == *" rpc-persist-trace-bin=base64:/wD+ "* ]] ||
      fail "binary header, $service via $via: not reported encoded (${*:6})"
  done
done
echo "PASS: a binary header that is not UTF-8 reaches the leaf, reported as base64"

# 6: the coroutine path, when greeter_server was built with Asio.
# (Its --paths help lists asio-coroutine then.)
help=$("$bin/greeter_server" --helpfull 2>&1 || true)
if [[ "$help" == *"std-async, asio-coroutine"* ]]; then
  out=$(GLS_FRONT_PATHS=handler-thread,asio-coroutine chain_run "$bin")
  echo "$out"
  for via in handler-thread asio-coroutine; do
    for service in middle leaf; do
      set -- $(row "$out" "$service" "$via")
      [ $# -gt 0 ] || fail "coroutine run: no row for $service via $via"
      [ "$3" = acme ] || fail "$service via $via: tenant did not reach it ($3)"
      [ "$5" = "$trace_id" ] || fail "$service via $via: trace id did not reach it ($5)"
      [ "$6" = user=alice,tier=gold ] || fail "$service via $via: baggage did not reach it ($6)"
    done
  done
  [ "$(echo "$out" | grep -c '^leaf: slow call cancelled after ')" = 2 ] ||
    fail "coroutine run: the leaf did not see its 2 slow calls cancelled"
  echo "PASS 6: from the front's coroutine, tenant, trace and baggage reach" \
    "the middle and the leaf, and the slow call is cancelled"
else
  echo "SKIP 6: greeter_server built without Asio"
fi
