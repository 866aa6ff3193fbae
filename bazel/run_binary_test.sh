#!/usr/bin/env bash
# A test that runs a program with arguments: sh_test(args = ["$(location :prog)", ...]).
# Used for the benchmarks' smoke tests (CMake: add_test(NAME ... COMMAND prog args)).
set -euo pipefail
exec "$@"
