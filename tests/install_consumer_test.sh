#!/usr/bin/env bash
# Installs gls from build dir $1 into a temporary prefix, then builds and runs
# the consumer program $2/main.cc against it twice:
#   1. the CMake project $2: find_package(gls), gls::interceptors;
#   2. a plain compiler command with pkg-config (gls_interceptors.pc), after
#      moving the installed tree elsewhere (the .pc files are relocatable).
# With a third argument $3 (the asio consumer), when the package has
# gls::asio: the same twice for $3/main.cc (gls::asio, gls_asio.pc; C++20).
# $CXX is the compiler ($CMAKE_CXX_COMPILER under ctest; default c++).
set -euo pipefail
build=$1
consumer=$2
consumer_asio=${3:-}
cxx=${CXX:-c++}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { "$@" >"$work/log" 2>&1 || { cat "$work/log"; echo "FAILED: $*"; exit 1; }; }

run cmake --install "$build" --prefix "$work/prefix"
test -f "$work/prefix/include/gls/interceptors/client_interceptor.h"

echo "== find_package(gls)"
run cmake -S "$consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release
run cmake --build "$work/build" -j 2
"$work/build/consumer"
# A shared build's package links the shared libraries. (Outputs are taken
# whole before they are searched: `cmd | grep -q` under pipefail fails when
# grep exits at its first match and cmd dies writing the rest.)
shared=false
if [ -n "$(find "$work/prefix" -name 'libgls_interceptors.so.*')" ]; then
  shared=true
  dynamic=$(readelf -d "$work/build/consumer")
  grep -q 'NEEDED.*libgls_interceptors\.so\.[0-9]' <<<"$dynamic" ||
    { echo "FAILED: the consumer does not link libgls_interceptors.so"; exit 1; }
  echo "consumer links $(sed -n 's/.*NEEDED.*\[\(libgls_[a-z_]*\.so\.[0-9]*\)\]/\1/p' <<<"$dynamic" | tr '\n' ' ')"
fi

has_asio=false
if [ -n "$consumer_asio" ] && [ -f "$work/prefix/include/gls/asio/session_executor.h" ]; then
  has_asio=true
  echo "== find_package(gls), gls::asio"
  run cmake -S "$consumer_asio" -B "$work/build_asio" \
    -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release
  run cmake --build "$work/build_asio" -j 2
  "$work/build_asio/consumer_asio"
fi

echo "== pkg-config gls_interceptors"
mv "$work/prefix" "$work/moved"
pc=$(find "$work/moved" -name gls_interceptors.pc)
test -n "$pc" || { echo "gls_interceptors.pc not installed"; exit 1; }
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
pkg-config --print-errors --exists gls_interceptors
if $shared; then
  # The moved tree's libraries, for the programs built from the .pc files.
  export LD_LIBRARY_PATH
  LD_LIBRARY_PATH=$(dirname "$(find "$work/moved" -name 'libgls_session.so' | head -1)")
fi
# shellcheck disable=SC2046  # word splitting of the flags is intended
run "$cxx" -std=c++17 -O1 -o "$work/consumer_pc" "$consumer/main.cc" \
  $(pkg-config --cflags --libs gls_interceptors)
"$work/consumer_pc"

if $has_asio; then
  echo "== pkg-config gls_asio"
  pkg-config --print-errors --exists gls_asio
  # shellcheck disable=SC2046  # word splitting of the flags is intended
  run "$cxx" -std=c++20 -O1 -o "$work/consumer_asio_pc" "$consumer_asio/main.cc" \
    $(pkg-config --cflags --libs gls_asio)
  "$work/consumer_asio_pc"
fi
