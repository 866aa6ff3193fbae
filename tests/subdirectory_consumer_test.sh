#!/usr/bin/env bash
# Assembles the parent project of $2 (tests/subdirectory_consumer) in a
# temporary directory, with the gls source tree $1 at third_party/gls and
# main.cc from tests/consumer/; configures and builds it (add_subdirectory),
# runs its program, then checks that `cmake --install` of the parent installs
# gls (headers, CMake package, pkg-config files) too.
set -euo pipefail
gls_source=$(cd "$1" && pwd)
parent=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { "$@" >"$work/log" 2>&1 || { cat "$work/log"; echo "FAILED: $*"; exit 1; }; }

mkdir -p "$work/parent/third_party"
cp "$parent/CMakeLists.txt" "$work/parent/"
cp "$parent/../consumer/main.cc" "$work/parent/"
ln -s "$gls_source" "$work/parent/third_party/gls"

run cmake -S "$work/parent" -B "$work/build"
run cmake --build "$work/build" -j 2
"$work/build/consumer"
run cmake --install "$work/build" --prefix "$work/prefix"
for f in include/gls/interceptors/client_interceptor.h \
         lib/cmake/gls/glsConfig.cmake lib/pkgconfig/gls_interceptors.pc; do
  test -f "$work/prefix/$f" || { echo "not installed: $f"; exit 1; }
done
echo "subdirectory consumer ok"
