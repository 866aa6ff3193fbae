#!/usr/bin/env bash
# Builds gls's libFuzzer targets (fuzz/) with clang, AddressSanitizer and
# UBSan, and runs each one for a while on a scratch copy of its seed corpus:
#
#   scripts/fuzz.sh [seconds] [fuzzer...]
#
#   seconds  per fuzzer (default: $GLS_FUZZ_SECONDS, else 30)
#   fuzzer   e.g. context_fuzzer (default: every fuzz/corpus/<fuzzer>)
#
# The repository is never written: new corpus entries go to the scratch copy,
# crashing inputs to build/fuzz/artifacts/, logs to build/fuzz/logs/. Each
# crashing input is printed C-escaped with the command that reproduces it.
# Exits non-zero if any fuzzer crashed, hung (-timeout=10), exceeded
# -rss_limit_mb=2048 or a sanitizer reported anything.
#
# Environment:
#   GLS_FUZZ_SECONDS    default seconds per fuzzer (30)
#   GLS_FUZZ_BUILD_DIR  build tree (default build/fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd -P)
. scripts/common.sh

seconds=${GLS_FUZZ_SECONDS:-30}
if [[ $# -gt 0 && $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
fuzzers=("$@")
if [[ ${#fuzzers[@]} -eq 0 ]]; then
  for d in fuzz/corpus/*/; do fuzzers+=("$(basename "$d")"); done
fi
for f in "${fuzzers[@]}"; do
  [[ -d fuzz/corpus/$f ]] || { echo "fuzz: no fuzz/corpus/$f" >&2; exit 2; }
done
build=${GLS_FUZZ_BUILD_DIR:-build/fuzz}
[[ $build = /* ]] || build=$repo/$build

gls_install_packages fuzz

echo "== fuzz: building ${fuzzers[*]} (clang, ASan, UBSan) in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
  -DGLS_BUILD_FUZZERS=ON -DGLS_BUILD_TESTS=OFF -DGLS_BUILD_EXAMPLES=OFF \
  -DGLS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${fuzzers[@]}"

# Prints the first 4 KiB of file $1 as a C string literal (a hex digit right
# after a \x escape is escaped too, so the literal means what it shows).
c_escape() {
  local out="" byte hex ch after_hex=0
  for byte in $(od -An -v -tu1 -N4096 "$1"); do
    printf -v hex %02x "$byte"
    printf -v ch "\\x$hex"
    if ((byte == 92)); then out+='\\'; after_hex=0
    elif ((byte == 34)); then out+='\"'; after_hex=0
    elif ((byte == 10)); then out+='\n'; after_hex=0
    elif ((byte >= 32 && byte < 127)) &&
         ! [[ $after_hex -eq 1 && $ch == [0-9a-fA-F] ]]; then
      out+=$ch; after_hex=0
    else out+="\\x$hex"; after_hex=1
    fi
  done
  printf '"%s"\n' "$out"
}

mkdir -p "$build/artifacts" "$build/logs"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/gls-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failed=()
for f in "${fuzzers[@]}"; do
  corpus=$scratch/$f
  cp -r "fuzz/corpus/$f" "$corpus"
  rm -f "$build/artifacts/$f-"*
  log=$build/logs/$f.log
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
           -print_final_stats=1 -artifact_prefix="$build/artifacts/$f-")
  [[ -f fuzz/$f.dict ]] && options+=(-dict="$repo/fuzz/$f.dict")
  echo "== fuzz: $f for ${seconds}s (log: $log)"
  start=$SECONDS
  rc=0
  (cd "$scratch" &&
   UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
   "$build/fuzz/$f" "${options[@]}" "$corpus" "$repo/fuzz/corpus/$f") \
    >"$log" 2>&1 || rc=$?
  grep -E '^Done [0-9]+ runs|^stat::(average_exec_per_sec|new_units_added|peak_rss_mb)|INFO: seed corpus' \
    "$log" || true
  bad=$(grep -cE 'runtime error:|ERROR: [A-Za-z]*Sanitizer|ERROR: libFuzzer|invariant violated' \
    "$log" || true)
  echo "   exit $rc, $((SECONDS - start))s, $(ls "$corpus" | wc -l) corpus entries"
  if [[ $rc -ne 0 || $bad -ne 0 ]]; then
    failed+=("$f")
    echo "-- $f FAILED; end of $log:"
    grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse|RELOAD)' "$log" | tail -n 40 |
      cut -c 1-300
    for a in "$build/artifacts/$f-"*; do
      [[ -f $a ]] || continue
      echo "-- input $a ($(wc -c <"$a") bytes):"
      c_escape "$a"
      echo "   reproduce: $build/fuzz/$f $a"
    done
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "== fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "== fuzz: passed: ${fuzzers[*]} (${seconds}s each)"
