#!/usr/bin/env bash
# scripts/bench.sh: the one command for gls's benchmarks.
#
# Builds the benchmarks (CMake, Release, in build/bench unless
# GLS_BENCH_BUILD_DIR says otherwise) if needed, runs the session-layer
# benchmark (Google Benchmark) and the RPC chain benchmark, prints the summary
# table with the bars of BENCHMARKS.md (ratio to the baseline of the same run,
# PASS/FAIL), and writes the figures as JSON:
#
#   OUT/session.json   Google Benchmark's --benchmark_out
#   OUT/rpc.json       rpc_benchmark's own JSON
#   OUT/summary.json   the bars: figure, baseline, ratio, bar, PASS/FAIL
#
# Usage: scripts/bench.sh [OUT]      (default OUT: build/bench/results/<time>)
#
# About a minute on 2 cores once built (the first build takes about another).
# Exits 0 whatever the bars say (2 if a program fails); see the PASS/FAIL column.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${GLS_BENCH_BUILD_DIR:-${root}/build/bench}"
out="${1:-${build}/results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "${out}"
out="$(cd "${out}" && pwd)"

if [[ ! -f "${build}/CMakeCache.txt" ]]; then
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S "${root}" -B "${build}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DGLS_BUILD_TESTS=OFF -DGLS_BUILD_EXAMPLES=OFF -DGLS_BUILD_BENCHMARKS=ON \
    >"${out}/cmake.log"
fi
echo "== building (${build})"
cmake --build "${build}" -j "$(nproc)" --target session_benchmark rpc_benchmark \
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

echo "== RPC benchmark"
"${build}/benchmarks/rpc_benchmark" \
  --modes=plain,manual,gls,noop-pair \
  --concurrency=1,8 --rounds=24 --slice_ms=150 --warmup_ms=300 \
  --alloc_rounds=3 --alloc_rpcs=500 --json="${out}/rpc.json" \
  | tee "${out}/rpc.txt" || exit 2
echo "== ran in $((SECONDS - start)) s"

python3 - "${out}" <<'EOF'
import json, os, platform, sys

out = sys.argv[1]
session = json.load(open(os.path.join(out, "session.json")))
rpc = json.load(open(os.path.join(out, "rpc.json")))

def median(name, field="cpu_time"):
    for b in session["benchmarks"]:
        if b.get("run_name") == name and b.get("aggregate_name") == "median":
            return b[field]
    for b in session["benchmarks"]:  # --benchmark_repetitions=1
        if b.get("run_name") == name:
            return b[field]
    raise KeyError(name)

def load(conc, mode):
    for r in rpc["load"]:
        if r["concurrency"] == conc and r["mode"] == mode:
            return r
    raise KeyError((conc, mode))

def allocs(metainfo, mode):
    for r in rpc["allocations"]:
        if r["metainfo"] == metainfo and r["mode"] == mode:
            return r["per_rpc"]
    raise KeyError((metainfo, mode))

rows = []  # figure, measured, baseline, ratio, bar, ok

def row(figure, measured, baseline, ratio, bar, ok, value, baseline_value=None,
        ratio_value=None):
    # Strings for the table; value, baseline_value, ratio_value for machines.
    rows.append(dict(figure=figure, measured=measured, baseline=baseline,
                     ratio=ratio, bar=bar, result="PASS" if ok else "FAIL",
                     value=value, baseline_value=baseline_value,
                     ratio_value=ratio_value, passed=bool(ok)))

t = lambda b, n: f"BM_{b}/threads:{n}"
raw1, gls1 = median(t("LookupBound_Raw", 1)), median(t("LookupBound_Gls", 1))
gls2 = median(t("LookupBound_Gls", 2))
row("lookup bound, 1 thread (ns)", f"{gls1:.2f}", f"raw {raw1:.2f}",
    f"{gls1 / raw1:.2f}x raw", "<= 2x raw", gls1 <= 2 * raw1, gls1, raw1,
    gls1 / raw1)
row("lookup bound, 1 thread (ns)", f"{gls1:.2f}", "", "", "<= 3 ns",
    gls1 <= 3, gls1)
row("lookup bound, 2 threads (ns/op/thread)", f"{gls2:.2f}",
    f"1 thread {gls1:.2f}", f"{gls2 / gls1:.2f}x", "<= 1.2x 1 thread",
    gls2 <= 1.2 * gls1, gls2, gls1, gls2 / gls1)
for n in (1, 2):
    scope = median(t("BindUnbind_GlsScope", n))
    raw = median(t("BindUnbind_Raw", n))
    row(f"scoped bind+unbind, {n} thread(s) (ns)", f"{scope:.1f}",
        f"raw {raw:.1f}", f"{scope / raw:.1f}x raw", "<= 20 ns", scope <= 20,
        scope, raw, scope / raw)
for n in (1, 2):
    name = f"BM_Pool_CarryAdded/real_time/threads:{n}"
    added = median(name, "added_ns")
    base = median(name, "no_carry_ns")
    row(f"pool carry added per task, {n} submitter(s) (ns)", f"{added:.1f}",
        f"no carry {base:.0f}/task", f"{(base + added) / base:.3f}x",
        "<= 100 ns", added <= 100, added, base, (base + added) / base)
for conc in (1, 8):
    g, p = load(conc, "gls"), load(conc, "plain")
    row(f"chain throughput, concurrency {conc} (rpc/s)",
        f"{g['throughput_rps']:.0f}", f"plain {p['throughput_rps']:.0f}",
        f"{g['throughput_vs_plain']:.3f}x", ">= 0.97x",
        g["throughput_vs_plain"] >= 0.97, g["throughput_rps"],
        p["throughput_rps"], g["throughput_vs_plain"])
g, p = load(1, "gls"), load(1, "plain")
row("p50 latency added, concurrency 1 (us)", f"{g['p50_added_us']:.1f}",
    f"plain p50 {p['p50_us']:.1f}", f"{g['p50_us'] / p['p50_us']:.3f}x",
    "<= 3 us", g["p50_added_us"] <= 3, g["p50_added_us"], p["p50_us"],
    g["p50_us"] / p["p50_us"])
a = {m: allocs(False, m) for m in ("plain", "manual", "gls", "noop")}
own = a["gls"] - a["noop"] - (a["manual"] - a["plain"])
row("allocs added per RPC, no metainfo", f"+{a['gls'] - a['plain']:.2f}",
    f"plain {a['plain']:.2f}",
    f"grpc {a['noop'] - a['plain']:.2f} + hdr map "
    f"{a['manual'] - a['plain']:.2f} + gls {own:.2f}",
    "gls 0", abs(own) < 0.1, a["gls"] - a["plain"], a["plain"], own)

print()
print("== bars (figure: measured | baseline in the same run | ratio | bar | result)")
w = [max(len(r[k]) for r in rows) for k in ("figure", "measured", "baseline", "ratio", "bar")]
for r in rows:
    print(f"{r['figure']:<{w[0]}}  {r['measured']:>{w[1]}}  {r['baseline']:<{w[2]}}  "
          f"{r['ratio']:<{w[3]}}  {r['bar']:<{w[4]}}  {r['result']}")

print()
print("== session layer, all cases (median ns per op; pool: ns per task)")
cases = [
    ("lookup, bound", "LookupBound", ["Raw", "Naive", "Gls"]),
    ("lookup, unbound", "LookupUnbound", ["Raw", "Naive", "Gls"]),
    ("bind+unbind", "BindUnbind", ["Raw", "Naive", "GlsScope", "GlsBindSession"]),
    ("value get", "ValueGet", ["Naive", "Gls"]),
    ("value set", "ValueSet", ["Naive", "Gls"]),
    ("wrap+run", "WrapRun", ["Plain", "Naive", "Gls"]),
]
print(f"{'case':<16} {'variant':<15} {'1 thread':>9} {'2 threads':>10}")
for label, family, variants in cases:
    for v in variants:
        one, two = (median(t(f"{family}_{v}", n)) for n in (1, 2))
        print(f"{label:<16} {v:<15} {one:>9.2f} {two:>10.2f}")
for v in ("NoCarry", "Carry"):
    one, two = (median(f"BM_Pool_{v}/real_time/threads:{n}", "real_time") / 64
                for n in (1, 2))
    print(f"{'pool':<16} {v:<15} {one:>9.1f} {two:>10.1f}")

cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
summary = dict(machine=dict(nproc=os.cpu_count(), cpu=cpu,
                            kernel=platform.release(),
                            load_avg=session["context"].get("load_avg")),
               bars=rows)
json.dump(summary, open(os.path.join(out, "summary.json"), "w"), indent=2)
print()
print(f"machine: {os.cpu_count()} x {cpu}; load average at start "
      f"{session['context'].get('load_avg')}")
print(f"JSON: {out}/summary.json, {out}/session.json, {out}/rpc.json")
EOF
