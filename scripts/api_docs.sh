#!/usr/bin/env bash
# Builds gls's API reference from the public headers with Doxygen (Debian's
# package, installed if missing) into build/api-docs/html (open index.html),
# or into the folder given as the first argument. Fails on any Doxygen
# warning: an undocumented public member or a broken doc comment (CI runs it
# as scripts/test.sh's "docs" stage).
#   scripts/api_docs.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
GLS_CMAKE_PACKAGES="" gls_install_packages docs
out=${1:-build/api-docs}
rm -rf "$out/html"
mkdir -p "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! GLS_API_DOCS_OUT="$out" doxygen docs/api/Doxyfile >"$log" 2>&1 || [ -s "$log" ]; then
  cat "$log" >&2
  echo "FAIL: Doxygen reported $(grep -c . "$log") line(s) of warnings or errors" >&2
  exit 1
fi
[ -f "$out/html/index.html" ] || { echo "FAIL: no $out/html/index.html" >&2; exit 1; }
echo "PASS: API reference in $out/html/index.html, no Doxygen warnings"
