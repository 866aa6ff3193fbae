#!/usr/bin/env bash
# Bazel wrapper for tests/docs_snippets_test.sh:
#   docs_snippets_test_bazel.sh SCRIPT README
# Runs in the runfiles tree, which holds README.md, docs/, session/,
# interceptors/ and the generated proto/greeter*.pb.h at their workspace paths;
# gls headers are included as "gls/...", so a folder with gls -> the runfiles
# tree provides that prefix (as CMake's build-tree include/gls symlink does).
set -euo pipefail
script=$1
readme=$2
root=$(pwd -P)
include=$(mktemp -d "${TEST_TMPDIR:-/tmp}/include.XXXXXX")
trap 'rm -rf "$include"' EXIT
ln -s "$root" "$include/gls"
bash "$script" "$(dirname "$readme")" "${CXX:-c++}" -I"$include" -I"$root"
