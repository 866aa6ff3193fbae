#!/usr/bin/env bash
# Checks gls's layering: every source file of session/, asio/ and
# interceptors/ belongs to one layer, and includes gls headers of its own
# layer or lower ones only, so no include runs back up a layer. A new file
# must be given a layer here (and in docs/layout.md, which shows this table).
#   tests/layering_test.sh ROOT
set -euo pipefail
cd "$1"

# layer FILE: prints the layer number of FILE (a path from the root), or
# nothing if it has none. Lowest first.
layer() {
  case "$1" in
    # 0 support: logging, counters, locks, recycled blocks, thread-creation
    # control, steady-clock deadlines.
    session/log.* | session/stats.* | session/no_inherit.* | \
      session/steady_time.cc | session/internal/steady_time.h | \
      session/recycling_allocator.cc | session/internal/spin_lock.h | \
      session/internal/mutex_lock.h | session/internal/recycling_allocator.h | \
      session/internal/lazy_ptr.h | session/internal/inherit_block.h)
      echo 0 ;;
    # 1 values: wire formats, contexts, sessions and the parts of a session.
    session/metainfo.* | session/trace_context.* | session/baggage.* | \
      session/propagators.* | session/context.* | session/session.h | \
      session/session.cc | session/cancel_targets.cc | session/lazy_context.cc | \
      session/inheritors.cc | session/cancel_watcher.cc | \
      session/internal/context_source.h | session/internal/cancellation.h | \
      session/internal/cancel_watcher.h | session/internal/value_table.h | \
      session/internal/backward_values.h | session/internal/inheritors.h | \
      session/internal/lazy_context.h | session/internal/cancel_targets.h | \
      session/internal/session_state.h | session/internal/session_access.h)
      echo 1 ;;
    # 2 binding: the calling thread's session.
    session/binding.*) echo 2 ;;
    # 3 registry and options: the sharded store, its configuration.
    session/session_manager.* | session/session_options.*) echo 3 ;;
    # 4 carriers and inheritance: sessions on other threads.
    session/async.h | session/thread_pool.* | session/task.h | \
      session/internal/thread_inherit.*)
      echo 4 ;;
    # 5 event loops.
    asio/*) echo 5 ;;
    # 6 interceptors: gRPC.
    interceptors/*) echo 6 ;;
  esac
}

failures=0
checked=0
while IFS= read -r file; do
  own=$(layer "$file")
  if [ -z "$own" ]; then
    echo "FAIL: $file has no layer (add it to tests/layering_test.sh and docs/layout.md)" >&2
    failures=$((failures + 1))
    continue
  fi
  while IFS= read -r included; do
    [ -n "$included" ] || continue
    target=${included#gls/}
    theirs=$(layer "$target")
    checked=$((checked + 1))
    if [ -z "$theirs" ]; then
      echo "FAIL: $file includes $included, which has no layer" >&2
      failures=$((failures + 1))
    elif [ "$theirs" -gt "$own" ]; then
      echo "FAIL: $file (layer $own) includes $included (layer $theirs): an include up a layer" >&2
      failures=$((failures + 1))
    fi
  done < <(sed -n 's/^#include "\(gls\/[^"]*\)".*/\1/p' "$file")
done < <(find session asio interceptors -name '*.h' -o -name '*.cc' | sort)

[ "$checked" -gt 0 ] || { echo "FAIL: no includes found" >&2; exit 1; }
if [ "$failures" -gt 0 ]; then
  echo "FAIL: $failures layering problem(s)" >&2
  exit 1
fi
echo "PASS: $checked gls includes, none up a layer"
