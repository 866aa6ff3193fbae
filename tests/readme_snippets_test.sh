#!/usr/bin/env bash
# Compiles every ```cpp block of README.md, each as its own translation unit
# after a prelude of gls, gRPC and greeter headers, so README's code never rots.
#   tests/readme_snippets_test.sh README CXX -I... [-I...]
set -euo pipefail
readme=$1
cxx=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -v dir="$work" '
  /^```cpp$/ { n++; file = sprintf("%s/snippet_%02d.cc", dir, n); inside = 1;
               print "#include \"prelude.h\"" > file; next }
  /^```$/    { if (inside) close(file); inside = 0; next }
  inside     { print > file }
' "$readme"
cat >"$work/prelude.h" <<'H'
#include <grpcpp/grpcpp.h>
#include "gls/interceptors/client_interceptor.h"
#include "gls/interceptors/deadline_backup.h"
#include "gls/interceptors/server_interceptor.h"
#include "gls/session/async.h"
#include "gls/session/session_manager.h"
#include "gls/session/thread_pool.h"
#include "proto/greeter.grpc.pb.h"
H
# Snippets with coroutines (gls::Task, gls::asio) are C++20; the gls::asio
# ones need Asio's headers (libasio-dev), and are skipped without them.
have_asio=false
if echo '#include "asio.hpp"' | "$cxx" -std=c++20 -x c++ -fsyntax-only - 2>/dev/null; then
  have_asio=true
fi
count=0
for f in "$work"/snippet_*.cc; do
  std=c++17
  if grep -qE 'co_await|co_return|co_spawn|gls/session/task\.h|gls/asio/' "$f"; then
    std=c++20
  fi
  if grep -q 'gls/asio/' "$f" && ! $have_asio; then
    echo "SKIP: README cpp block $(basename "$f") (no asio.hpp)"
    continue
  fi
  if ! "$cxx" -std=$std -Wall -Werror -Wno-unused-variable -c "$f" -o /dev/null \
      -I"$work" "$@"; then
    echo "FAIL: README cpp block $(basename "$f"):" >&2
    cat -n "$f" >&2
    exit 1
  fi
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "FAIL: no cpp blocks found" >&2; exit 1; }
echo "PASS: $count README cpp blocks compile"
