#!/usr/bin/env bash
# Checks gls's shared libraries (BUILD_SHARED_LIBS=ON) in build dir $1:
#   1. each has the SONAME lib<name>.so.$2 (the project's major version);
#   2. each exports only the gls namespace (cmake/gls.map): no dynamic symbol
#      outside gls:: and what the C++ ABI emits for gls's classes, except the
#      version node and libgls_thread_inherit's pthread_create interposer.
set -euo pipefail
build=$1
major=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
gls_abi='^(gls::|typeinfo for gls::|typeinfo name for gls::|vtable for gls::|VTT for gls::|guard variable for gls::|TLS init function for gls::|TLS wrapper function for gls::|(non-)?virtual thunk to gls::)'
for lib in session/libgls_session.so session/libgls_thread_inherit.so \
           interceptors/libgls_interceptors.so; do
  path="$build/$lib"
  [ -f "$path" ] || fail "$lib not built"
  name=$(basename "$lib")
  soname=$(objdump -p "$path" | awk '$1 == "SONAME" { print $2 }')
  [ "$soname" = "$name.$major" ] || fail "$name: SONAME '$soname', want $name.$major"
  # Defined dynamic symbols, demangled, without address and type columns.
  symbols=$(nm -D --defined-only -C "$path" | sed -E 's/^[0-9a-f]* *[A-Za-z] //')
  total=$(echo "$symbols" | grep -c .)
  outside=$(echo "$symbols" | grep -vE "$gls_abi" | grep -vxE 'GLS_0|pthread_create' || true)
  [ -z "$outside" ] || fail "$name exports symbols outside gls: $(echo "$outside" | head -5)"
  echo "PASS: $name: SONAME $soname, $total exported symbols, all gls's"
done
