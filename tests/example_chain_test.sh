#!/usr/bin/env bash
# Runs the example chain as README's run command does and checks the table's
# facts: the tenant reaches the leaf on all three paths; the transient value
# and authorization never do; without gls the tenant is lost. Then sends a
# persistent binary header whose bytes are not UTF-8: the leaf must still
# reply, reporting it as "base64:..." (see examples/greeter_server.cc).
#   tests/example_chain_test.sh BIN_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$1
out=$("$here/examples/run_chain.sh" "$bin" --compare)
echo "$out"
fail() { echo "FAIL: $*" >&2; exit 1; }
with=$(echo "$out" | sed -n '/^== with gls/,/^== without gls/p')
without=$(echo "$out" | sed -n '/^== without gls/,$p')
for via in handler-thread thread-pool std-async; do
  row=$(echo "$with" | awk -v v="$via" '$1 == v')
  [ -n "$row" ] || fail "no row for $via"
  set -- $row
  [ "$2" = leaf ] || fail "$via: service is $2"
  [ "$3" = acme ] || fail "$via: tenant did not reach the leaf ($3)"
  [ "$4" = - ] || fail "$via: the transient value reached the leaf ($4)"
  [ "$5" = - ] || fail "$via: authorization reached the leaf ($5)"
  row=$(echo "$without" | awk -v v="$via" '$1 == v')
  set -- $row
  [ "$3" = - ] || fail "$via without gls: tenant should be lost ($3)"
done
echo "PASS: tenant on all three paths; no transient value, no authorization"

# The bytes ff 00 fe: not UTF-8, so a leaf copying them into the reply's
# proto strings could not serialize it.
out=$("$here/examples/run_chain.sh" "$bin" --binary_header=rpc-persist-trace-bin=/wD+)
echo "$out"
for via in handler-thread thread-pool std-async; do
  row=$(echo "$out" | awk -v v="$via" '$1 == v')
  [ -n "$row" ] || fail "binary header: no row for $via"
  set -- $row
  [ "$2" = leaf ] || fail "binary header, $via: service is $2"
  [[ " ${*:6} " == *" rpc-persist-trace-bin=base64:/wD+ "* ]] ||
    fail "binary header, $via: the leaf did not report it encoded (${*:6})"
done
echo "PASS: a binary header that is not UTF-8 reaches the leaf, reported as base64"
