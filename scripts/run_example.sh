#!/usr/bin/env bash
# Quick start, command 1: sets up a fresh Debian 12 machine (installs missing
# packages), builds the example greeter and runs the chain
# client -> front -> middle -> leaf with CLOUDWEGO_SESSION_CONFIG_KEY=true,10,1h
# (examples/run_chain.sh: persistent, transient and backward values,
# cancellation, counters), then the same chain without gls. With GLS_TRACE=1
# it also prints each server's log, with gls's trace lines.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
gls_install_packages
cmake -S . -B build/example -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DGLS_BUILD_TESTS=OFF -DGLS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/example --target greeter_server greeter_client -j "$(nproc)"
examples/run_chain.sh build/example/examples --compare
