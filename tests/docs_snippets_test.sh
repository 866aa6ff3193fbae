#!/usr/bin/env bash
# Compiles every ```cpp block of README.md and of docs/*.md, each as its own
# translation unit after a prelude of gls, gRPC and greeter headers, so the
# documentation's code never rots. A page added under docs/ is covered.
#   tests/docs_snippets_test.sh ROOT CXX -I... [-I...]
# (ROOT: the repository's root.)
set -euo pipefail
root=$1
cxx=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pages=("$root/README.md" "$root"/docs/*.md)
for page in "${pages[@]}"; do
  name=$(basename "$page" .md)
  awk -v dir="$work" -v page="$name" '
    /^```cpp$/ { n++; file = sprintf("%s/%s_%02d.cc", dir, page, n); inside = 1;
                 print "#include \"prelude.h\"" > file; next }
    /^```$/    { if (inside) close(file); inside = 0; next }
    inside     { print > file }
  ' "$page"
done
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
for f in "$work"/*.cc; do
  std=c++17
  if grep -qE 'co_await|co_return|co_spawn|gls/session/task\.h|gls/asio/' "$f"; then
    std=c++20
  fi
  if grep -q 'gls/asio/' "$f" && ! $have_asio; then
    echo "SKIP: cpp block $(basename "$f" .cc) (no asio.hpp)"
    continue
  fi
  if ! "$cxx" -std=$std -Wall -Werror -Wno-unused-variable -c "$f" -o /dev/null \
      -I"$work" "$@"; then
    echo "FAIL: cpp block $(basename "$f" .cc) (page_block-number):" >&2
    cat -n "$f" >&2
    exit 1
  fi
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "FAIL: no cpp blocks found" >&2; exit 1; }
echo "PASS: $count cpp blocks of README.md and docs/ compile"
