#!/usr/bin/env python3
"""Summarizes a run of scripts/bench.sh: the bars of BENCHMARKS.md.

Usage: benchmarks/summarize.py OUT

Reads OUT/session.json (session_benchmark's --benchmark_out, Google Benchmark
JSON) and OUT/rpc.json (rpc_benchmark's --json), prints the bar table (each
figure with its baseline from the same run, the ratio, the bar and PASS/FAIL)
and the session layer's cases, and writes OUT/summary.json: the machine and
the bars, as strings for the table and as numbers ("value",
"baseline_value", "ratio_value", "passed").

Python 3 standard library only. Exits 0 whatever the bars say; a missing
figure (KeyError) or file is an error.
"""

import json
import os
import platform
import sys

# Tasks per batch in session_benchmark's pool cases (kPoolBatch).
POOL_BATCH = 64


class Summary:
    """The figures of one run and the bars made from them."""

    def __init__(self, out):
        self.out = out
        with open(os.path.join(out, "session.json")) as f:
            self.session = json.load(f)
        with open(os.path.join(out, "rpc.json")) as f:
            self.rpc = json.load(f)
        self.rows = []

    def median(self, name, field="cpu_time"):
        """A Google Benchmark case's median (or only) figure."""
        for b in self.session["benchmarks"]:
            if b.get("run_name") == name and b.get("aggregate_name") == "median":
                return b[field]
        for b in self.session["benchmarks"]:  # --benchmark_repetitions=1
            if b.get("run_name") == name:
                return b[field]
        raise KeyError(name)

    def load(self, conc, mode):
        """rpc_benchmark's throughput and latency figures of one mode."""
        for r in self.rpc["load"]:
            if r["concurrency"] == conc and r["mode"] == mode:
                return r
        raise KeyError((conc, mode))

    def allocs(self, metainfo, mode):
        """rpc_benchmark's allocations per RPC of one mode."""
        for r in self.rpc["allocations"]:
            if r["metainfo"] == metainfo and r["mode"] == mode:
                return r["per_rpc"]
        raise KeyError((metainfo, mode))

    def row(self, figure, measured, baseline, ratio, bar, ok, value,
            baseline_value=None, ratio_value=None):
        """Adds a bar: strings for the table; value, baseline_value and
        ratio_value for machines."""
        self.rows.append(dict(figure=figure, measured=measured,
                              baseline=baseline, ratio=ratio, bar=bar,
                              result="PASS" if ok else "FAIL", value=value,
                              baseline_value=baseline_value,
                              ratio_value=ratio_value, passed=bool(ok)))


def threads(bench, n):
    """The name of a session_benchmark case at n threads."""
    return f"BM_{bench}/threads:{n}"


def add_bars(s):
    """The bars of BENCHMARKS.md, in its order."""
    t = threads
    raw1 = s.median(t("LookupBound_Raw", 1))
    gls1 = s.median(t("LookupBound_Gls", 1))
    gls2 = s.median(t("LookupBound_Gls", 2))
    s.row("lookup bound, 1 thread (ns)", f"{gls1:.2f}", f"raw {raw1:.2f}",
          f"{gls1 / raw1:.2f}x raw", "<= 2x raw", gls1 <= 2 * raw1, gls1, raw1,
          gls1 / raw1)
    s.row("lookup bound, 1 thread (ns)", f"{gls1:.2f}", "", "", "<= 3 ns",
          gls1 <= 3, gls1)
    s.row("lookup bound, 2 threads (ns/op/thread)", f"{gls2:.2f}",
          f"1 thread {gls1:.2f}", f"{gls2 / gls1:.2f}x", "<= 1.2x 1 thread",
          gls2 <= 1.2 * gls1, gls2, gls1, gls2 / gls1)
    for n in (1, 2):
        scope = s.median(t("BindUnbind_GlsScope", n))
        raw = s.median(t("BindUnbind_Raw", n))
        s.row(f"scoped bind+unbind, {n} thread(s) (ns)", f"{scope:.1f}",
              f"raw {raw:.1f}", f"{scope / raw:.1f}x raw", "<= 20 ns",
              scope <= 20, scope, raw, scope / raw)
    for n in (1, 2):
        name = f"BM_Pool_CarryAdded/real_time/threads:{n}"
        added = s.median(name, "added_ns")
        base = s.median(name, "no_carry_ns")
        s.row(f"pool carry added per task, {n} submitter(s) (ns)",
              f"{added:.1f}", f"no carry {base:.0f}/task",
              f"{(base + added) / base:.3f}x", "<= 100 ns", added <= 100,
              added, base, (base + added) / base)
    for conc in (1, 8):
        g, p = s.load(conc, "gls"), s.load(conc, "plain")
        s.row(f"chain throughput, concurrency {conc} (rpc/s)",
              f"{g['throughput_rps']:.0f}", f"plain {p['throughput_rps']:.0f}",
              f"{g['throughput_vs_plain']:.3f}x", ">= 0.97x",
              g["throughput_vs_plain"] >= 0.97, g["throughput_rps"],
              p["throughput_rps"], g["throughput_vs_plain"])
    g, p = s.load(1, "gls"), s.load(1, "plain")
    s.row("p50 latency added, concurrency 1 (us)", f"{g['p50_added_us']:.1f}",
          f"plain p50 {p['p50_us']:.1f}", f"{g['p50_us'] / p['p50_us']:.3f}x",
          "<= 3 us", g["p50_added_us"] <= 3, g["p50_added_us"], p["p50_us"],
          g["p50_us"] / p["p50_us"])
    a = {m: s.allocs(False, m) for m in ("plain", "manual", "gls", "noop")}
    own = a["gls"] - a["noop"] - (a["manual"] - a["plain"])
    s.row("allocs added per RPC, no metainfo", f"+{a['gls'] - a['plain']:.2f}",
          f"plain {a['plain']:.2f}",
          f"grpc {a['noop'] - a['plain']:.2f} + hdr map "
          f"{a['manual'] - a['plain']:.2f} + gls {own:.2f}",
          "gls 0", abs(own) < 0.1, a["gls"] - a["plain"], a["plain"], own)


def print_bars(rows):
    print()
    print("== bars (figure: measured | baseline in the same run | ratio | bar "
          "| result)")
    w = [max(len(r[k]) for r in rows)
         for k in ("figure", "measured", "baseline", "ratio", "bar")]
    for r in rows:
        print(f"{r['figure']:<{w[0]}}  {r['measured']:>{w[1]}}  "
              f"{r['baseline']:<{w[2]}}  {r['ratio']:<{w[3]}}  "
              f"{r['bar']:<{w[4]}}  {r['result']}")


def print_session_cases(s):
    print()
    print("== session layer, all cases (median ns per op; pool: ns per task)")
    cases = [
        ("lookup, bound", "LookupBound", ["Raw", "Naive", "Gls"]),
        ("lookup, unbound", "LookupUnbound", ["Raw", "Naive", "Gls"]),
        ("bind+unbind", "BindUnbind",
         ["Raw", "Naive", "GlsScope", "GlsBindSession"]),
        ("value get", "ValueGet", ["Naive", "Gls"]),
        ("value set", "ValueSet", ["Naive", "Gls"]),
        ("wrap+run", "WrapRun", ["Plain", "Naive", "Gls"]),
    ]
    print(f"{'case':<16} {'variant':<15} {'1 thread':>9} {'2 threads':>10}")
    for label, family, variants in cases:
        for v in variants:
            one, two = (s.median(threads(f"{family}_{v}", n)) for n in (1, 2))
            print(f"{label:<16} {v:<15} {one:>9.2f} {two:>10.2f}")
    for v in ("NoCarry", "Carry"):
        one, two = (s.median(f"BM_Pool_{v}/real_time/threads:{n}",
                             "real_time") / POOL_BATCH for n in (1, 2))
        print(f"{'pool':<16} {v:<15} {one:>9.1f} {two:>10.1f}")


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, or "?"."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def main(argv):
    if len(argv) != 2:
        sys.exit(f"usage: {argv[0]} OUT")
    out = argv[1]
    s = Summary(out)
    add_bars(s)
    print_bars(s.rows)
    print_session_cases(s)

    cpu = cpu_model()
    load_avg = s.session["context"].get("load_avg")
    summary = dict(machine=dict(nproc=os.cpu_count(), cpu=cpu,
                                kernel=platform.release(), load_avg=load_avg),
                   bars=s.rows)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print()
    print(f"machine: {os.cpu_count()} x {cpu}; load average at start "
          f"{load_avg}")
    print(f"JSON: {out}/summary.json, {out}/session.json, {out}/rpc.json")


if __name__ == "__main__":
    main(sys.argv)
