#!/usr/bin/env bash
# Builds and tests gls with Bazel (Debian 12's Bazel 4.2.3), fully offline:
#
#   scripts/bazel_test.sh [extra bazel build/test options...]
#
# Runs `bazel build //...` and `bazel test //...` with the repository's
# .bazelrc, inside a network namespace that has only loopback (`unshare -n`)
# when the system allows it, to prove that nothing is downloaded; otherwise
# plainly, saying so. Exits non-zero on any failure and prints the logs of
# failed tests.
#
# Bazel state lives in its own output base (not the default one), so this
# script neither disturbs nor is disturbed by an interactive Bazel server, and
# it writes nothing into the source tree (--symlink_prefix=/: no bazel-*
# convenience symlinks). The server is shut down at the end.
#
# Environment:
#   GLS_BAZEL_OUTPUT_BASE  output base (default: ~/.cache/gls-bazel/<hash of repo path>)
#   GLS_BAZEL_NO_UNSHARE=1 do not try `unshare -n`
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo" || exit 1

# --- Network isolation: re-run this script inside `unshare -n`. -------------
# A new network namespace has its loopback device down; bring it up (the Bazel
# client talks to its server over loopback, and the tests run loopback gRPC
# servers).
if [[ -z "${GLS_BAZEL_IN_NETNS:-}" ]]; then
  if [[ "${GLS_BAZEL_NO_UNSHARE:-}" == 1 ]]; then
    echo "bazel_test: GLS_BAZEL_NO_UNSHARE=1: running WITHOUT network isolation"
  elif ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
    echo "bazel_test: unshare or ip not found: running WITHOUT network isolation"
  elif ! unshare -n ip link set lo up >/dev/null 2>&1; then
    echo "bazel_test: 'unshare -n' failed (needs root or user namespaces):" \
         "running WITHOUT network isolation"
  else
    echo "bazel_test: running offline, inside 'unshare -n' (loopback only)"
    exec unshare -n env GLS_BAZEL_IN_NETNS=1 bash "$repo/scripts/bazel_test.sh" "$@"
  fi
else
  if ! ip link set lo up; then
    echo "bazel_test: cannot bring up loopback inside the network namespace" >&2
    exit 1
  fi
fi

if ! command -v bazel >/dev/null 2>&1; then
  echo "bazel_test: 'bazel' not found (Debian: apt-get install bazel-bootstrap bazel-rules-java)" >&2
  exit 1
fi

output_base=${GLS_BAZEL_OUTPUT_BASE:-${HOME:-/tmp}/.cache/gls-bazel/$(printf '%s' "$repo" | md5sum | cut -c1-16)}
mkdir -p "$output_base" || exit 1
output_base=$(cd "$output_base" && pwd -P)

# Startup options: our own output base; a server that goes away by itself if
# this script is killed before `bazel shutdown`.
bazel=(bazel "--output_base=$output_base" --max_idle_secs=300)
trap '"${bazel[@]}" shutdown >/dev/null 2>&1' EXIT

# bazel-* symlinks at the top of the tree (from interactive builds with another
# output base) lead into a foreign execroot whose BUILD files break `//...`.
# They are Bazel's convenience links, recreated by the next interactive build.
for link in "$repo"/bazel-*; do
  [[ -L "$link" ]] || continue
  case "$(readlink "$link")" in
    "$output_base"/*) ;;
    *) echo "bazel_test: removing stale convenience symlink $(basename "$link")"
       rm -f "$link" ;;
  esac
done
# CMake build trees inside the source tree (<dir>/include/gls -> the source
# root) make Bazel print "ERROR: infinite symlink expansion ... skipping";
# that message is harmless. .bazelignore hides the usual names (build,
# build-tsan, ...); say so for the others.
for d in "$repo"/*/; do
  d=${d%/}
  if [[ -L "$d/include/gls" ]] && ! grep -qxF "$(basename "$d")" .bazelignore 2>/dev/null; then
    echo "bazel_test: note: CMake build tree $(basename "$d")/ is not in .bazelignore;" \
         "Bazel's 'infinite symlink expansion' ERROR about it is harmless"
  fi
done

common=(--symlink_prefix=/ "$@")
status=0
total_start=$SECONDS

run_step() {
  local name=$1
  shift
  local start=$SECONDS
  echo "bazel_test: \$ bazel $*"
  "${bazel[@]}" "$@"
  local rc=$?
  echo "bazel_test: $name: exit $rc, $((SECONDS - start)) s"
  return $rc
}

if ! run_step build build "${common[@]}" -- //...; then
  status=1
else
  test_out=$(mktemp)
  run_step test test "${common[@]}" --test_output=errors -- //... 2>&1 | tee "$test_out"
  if [[ ${PIPESTATUS[0]} != 0 ]]; then
    status=1
    # --test_output=errors printed the failing tests' logs above; say where
    # they are.
    testlogs=$("${bazel[@]}" info "${common[@]}" bazel-testlogs 2>/dev/null)
    failed=$(grep -oE '^//[^ ]+ +(FAILED|TIMEOUT|INCOMPLETE|NO STATUS|FLAKY)' "$test_out" |
             awk '{print $1}' | sort -u)
    if [[ -n "$failed" ]]; then
      echo "bazel_test: failed tests and their logs:"
      for t in $failed; do
        pkg=${t#//}; pkg=${pkg%%:*}; name=${t##*:}
        echo "  $t: $testlogs/$pkg/$name/test.log"
      done
    fi
  fi
  rm -f "$test_out"
fi

echo "bazel_test: total $((SECONDS - total_start)) s: $([[ $status == 0 ]] && echo PASSED || echo FAILED)"
exit $status
