#!/usr/bin/env bash
# scripts/bench.sh: the one command for gls's benchmarks.
#
# Builds the benchmarks (CMake, Release, in build/bench unless
# GLS_BENCH_BUILD_DIR says otherwise) if needed, runs the session-layer
# benchmark (Google Benchmark) and the RPC chain benchmark twice, requests with
# metainfo and requests without (--metainfo=false), each run with plain,
# manual, manual-propagate, gls and noop-pair interleaved in the same
# invocation, then twice more with plain, manual-propagate and gls
# interleaved by RPC at every concurrency (--interleave=rpc: the throughput
# bar's figures), and the scale benchmark (the callback-API chain at 64 and 256
# calls in flight, cost growth with values, memory per in-flight request);
# prints the summary table with the bars of BENCHMARKS.md (ratio
# to the baseline of the same run, PASS/FAIL; benchmarks/summarize.py), and
# writes the figures as JSON:
#
#   OUT/session.json           Google Benchmark's --benchmark_out
#   OUT/rpc.json               rpc_benchmark's JSON, requests with metainfo
#   OUT/rpc_no_metainfo.json   the same, requests without metainfo
#   OUT/rpc_by_rpc.json, OUT/rpc_by_rpc_no_metainfo.json
#                              the runs interleaved by RPC
#   OUT/scale.json             scale_benchmark's JSON
#   OUT/instructions.json      count_instructions.py's counts (callgrind)
#   OUT/growth.png             the growth plot (also copied to
#                              benchmarks/growth.png)
#   OUT/summary.json           the bars: figure, baseline, ratio, bar,
#                              PASS/FAIL; the chain's figures of both runs
#
# and the programs' output as OUT/session.txt, OUT/rpc.txt,
# OUT/rpc_no_metainfo.txt, OUT/rpc_by_rpc.txt, OUT/rpc_by_rpc_no_metainfo.txt,
# OUT/scale.txt and OUT/instructions.txt; with
# Asio, also the gls::asio benchmark (OUT/asio.json, OUT/asio.txt;
# BENCHMARKS.md "Asio executors"). Installs Debian's python3-matplotlib and
# valgrind if missing (as root, or through sudo).
#
# Usage: scripts/bench.sh [OUT]      (default OUT: build/bench/results/<time>)
#   GLS_BENCH_INSTRUCTIONS=0 skips the instruction counts.
#
# About 12 minutes on 2 cores once built, 5 of them the instruction counts
# (the first build takes about 15 minutes more).
# Exits 0 whatever the bars say (2 if a program fails); see the PASS/FAIL column.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GLS_BENCH_BUILD_DIR:-${root}/build/bench}"
out="${1:-${build}/results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "${out}"
out="$(cd "${out}" && pwd)"
# matplotlib (the growth plot) and valgrind (instruction counts), from
# Debian, if missing.
bash -c ". '${root}/scripts/common.sh' && gls_install_packages bench" >/dev/null

if [[ ! -f "${build}/CMakeCache.txt" ]]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S "${root}" -B "${build}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DGLS_BUILD_TESTS=OFF -DGLS_BUILD_EXAMPLES=OFF -DGLS_BUILD_BENCHMARKS=ON \
    >"${out}/cmake.log"
fi
echo "== building (${build})"
targets=(session_benchmark rpc_benchmark scale_benchmark)
# asio_benchmark exists when the build found Asio (libasio-dev).
# (The target list taken whole: `cmake | grep -q` under pipefail fails when
# grep exits at its match while cmake is still writing.)
if grep -qE '(^|[.][.][.] )asio_benchmark' \
  <<<"$(cmake --build "${build}" --target help 2>/dev/null)"; then
  targets+=(asio_benchmark)
fi
cmake --build "${build}" -j "$(nproc)" --target "${targets[@]}" \
  >"${out}/build.log" || { tail -40 "${out}/build.log"; exit 2; }

start=${SECONDS}
echo "== session benchmark"
"${build}/benchmarks/session_benchmark" \
  --benchmark_min_time=0.05 --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true \
  --benchmark_display_aggregates_only=true \
  --benchmark_out="${out}/session.json" --benchmark_out_format=json \
  >"${out}/session.txt" 2>&1 || { cat "${out}/session.txt"; exit 2; }
grep -E "^Run on|^Load Average" "${out}/session.txt" || true

for metainfo in true false; do
  name=rpc
  if [[ ${metainfo} == false ]]; then name=rpc_no_metainfo; fi
  echo "== RPC benchmark, --metainfo=${metainfo}"
  "${build}/benchmarks/rpc_benchmark" \
    --modes=plain,manual,manual-propagate,gls,noop-pair --metainfo="${metainfo}" \
    --concurrency=1,8,64 --rounds=24 --slice_ms=150 --warmup_ms=300 \
    --alloc_rounds=3 --alloc_rpcs=500 --json="${out}/${name}.json" \
    | tee "${out}/${name}.txt" || exit 2
done
# The throughput bar's runs: gls and manual-propagate interleaved by RPC at
# every concurrency (--interleave=rpc), which resolves differences the runs
# by slice above cannot at 8 and 64 (BENCHMARKS.md, "Interleaving").
for metainfo in true false; do
  name=rpc_by_rpc
  if [[ ${metainfo} == false ]]; then name=rpc_by_rpc_no_metainfo; fi
  echo "== RPC benchmark interleaved by RPC, --metainfo=${metainfo}"
  "${build}/benchmarks/rpc_benchmark" \
    --modes=plain,manual-propagate,gls --metainfo="${metainfo}" \
    --interleave=rpc --concurrency=1,8,64 --rounds=36 --slice_ms=150 \
    --warmup_ms=300 --alloc_rounds=0 --json="${out}/${name}.json" \
    | tee "${out}/${name}.txt" || exit 2
done
echo "== scale benchmark (callback API at 64 and 256 in flight, growth, memory)"
"${build}/benchmarks/scale_benchmark" --json="${out}/scale.json" \
  | tee "${out}/scale.txt" || exit 2
if [[ -x "${build}/benchmarks/asio_benchmark" ]]; then
  echo "== asio benchmark (gls::asio per handler and per resumption)"
  "${build}/benchmarks/asio_benchmark" \
    --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
    --benchmark_display_aggregates_only=true \
    --benchmark_out="${out}/asio.json" --benchmark_out_format=json \
    >"${out}/asio.txt" 2>&1 || { cat "${out}/asio.txt"; exit 2; }
fi
echo "== ran in $((SECONDS - start)) s"

if [[ ${GLS_BENCH_INSTRUCTIONS:-1} != 0 ]]; then
  echo "== instructions (callgrind; about 5 minutes; GLS_BENCH_INSTRUCTIONS=0 skips)"
  python3 "${root}/benchmarks/count_instructions.py" "${build}" \
    --json "${out}/instructions.json" | tee "${out}/instructions.txt" || exit 2
fi

python3 "${root}/benchmarks/summarize.py" "${out}"

# The growth picture, kept in the repository as benchmarks/growth.png. With
# Debian's own python3, where its matplotlib is (another python3 may come
# first on PATH).
plot_python=python3
[[ -x /usr/bin/python3 ]] && plot_python=/usr/bin/python3
"${plot_python}" "${root}/benchmarks/plot_growth.py" "${out}/scale.json" \
  "${out}/growth.png" "gls $(git -C "${root}" rev-parse --short HEAD 2>/dev/null)"
cp "${out}/growth.png" "${root}/benchmarks/growth.png"
