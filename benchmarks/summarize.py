#!/usr/bin/env python3
"""Summarizes a run of scripts/bench.sh: the bars of BENCHMARKS.md.

Usage: benchmarks/summarize.py OUT

Reads OUT/session.json (session_benchmark's --benchmark_out, Google Benchmark
JSON), OUT/rpc.json and OUT/rpc_no_metainfo.json (rpc_benchmark's --json, the
chain with requests with metainfo and without it, each with plain, manual,
manual-propagate, gls and noop-pair in the same invocation) and, if present,
OUT/scale.json (scale_benchmark: the callback-API chain) and
OUT/rpc_by_rpc.json and OUT/rpc_by_rpc_no_metainfo.json (plain,
manual-propagate and gls interleaved by RPC at every concurrency: the
throughput bar's figures; without them the bar takes the runs above), prints
the bar table (each figure with its baseline from the same run, the ratio,
the bar and PASS/FAIL), the chain's figures of both runs with their ratios to
plain and to manual, gls against manual-propagate (bar: >= 1.00x, per
concurrency, sync and callback chains), and the session layer's cases, and
writes OUT/summary.json: the machine, the bars, as strings for the table
and as numbers ("value", "baseline_value", "ratio_value", "passed",
"within_noise"), the chain's figures ("chain") and gls against
manual-propagate ("gls_vs_manual_propagate", and for the callback chain
"callback_gls_vs_manual_propagate").

The chain bars compare gls with manual (what users write without gls) in the
same run: throughput and CPU per RPC as medians over rounds of the per-round
ratio, p50 as the median of the per-round difference (rpc_benchmark computes
them). Allocation bars take each run's allocation phase for requests of its
own kind (both runs count both kinds; the other figures are in their JSON).

Python 3 standard library only. Exits 0 whatever the bars say; a missing
figure (KeyError) or file is an error.
"""

import json
import os
import platform
import statistics
import sys

# Tasks per batch in session_benchmark's pool cases (kPoolBatch).
POOL_BATCH = 64
# The chain runs: (file, label, requests carry metainfo).
RPC_RUNS = (("rpc.json", "with metainfo", True),
            ("rpc_no_metainfo.json", "without metainfo", False))
# The throughput bar's runs, gls and manual-propagate interleaved by RPC at
# every concurrency (rpc_benchmark --interleave=rpc); optional: without them
# the bar takes the runs above.
BY_RPC_RUNS = (("rpc_by_rpc.json", "with metainfo", True),
               ("rpc_by_rpc_no_metainfo.json", "without metainfo", False))
# Throughput bar: gls >= 1.00x manual-propagate (no noise allowance).
THROUGHPUT_BAR = 1.00
# Allocation counts per RPC vary by about +-0.05 from round to round.
ALLOC_NOISE = 0.1


class Summary:
    """The figures of one run and the bars made from them."""

    def __init__(self, out):
        self.out = out
        with open(os.path.join(out, "session.json")) as f:
            self.session = json.load(f)
        self.rpc = {}
        for name, _, metainfo in RPC_RUNS:
            with open(os.path.join(out, name)) as f:
                self.rpc[metainfo] = json.load(f)
            if self.rpc[metainfo]["context"]["load_metainfo"] != metainfo:
                raise ValueError(f"{name}: load_metainfo is not {metainfo}")
        self.by_rpc = {}
        for name, _, metainfo in BY_RPC_RUNS:
            path = os.path.join(out, name)
            if not os.path.exists(path):
                continue
            with open(path) as f:
                run = json.load(f)
            if (run["context"]["load_metainfo"] != metainfo or
                    run["context"].get("interleave") != "rpc"):
                raise ValueError(f"{name}: not a run interleaved by RPC with "
                                 f"load_metainfo {metainfo}")
            self.by_rpc[metainfo] = run
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

    def load(self, metainfo, conc, mode, by_rpc=False):
        """rpc_benchmark's throughput and latency figures of one mode in the
        run with (or without) metainfo (by_rpc: the run interleaved by
        RPC)."""
        run = self.by_rpc[metainfo] if by_rpc else self.rpc[metainfo]
        for r in run["load"]:
            if r["concurrency"] == conc and r["mode"] == mode:
                return r
        raise KeyError((metainfo, conc, mode, by_rpc))

    def concurrencies(self, metainfo, by_rpc=False):
        """The concurrencies of a run, in its order."""
        seen = []
        run = self.by_rpc[metainfo] if by_rpc else self.rpc[metainfo]
        for r in run["load"]:
            if r["concurrency"] not in seen:
                seen.append(r["concurrency"])
        return seen

    def allocs(self, metainfo, mode):
        """Allocations per RPC of one mode for requests with (or without)
        metainfo, from the run of the same kind."""
        for r in self.rpc[metainfo]["allocations"]:
            if r["metainfo"] == metainfo and r["mode"] == mode:
                return r["per_rpc"]
        raise KeyError((metainfo, mode))

    def row(self, figure, measured, baseline, ratio, bar, ok, value,
            baseline_value=None, ratio_value=None, within_noise=False):
        """Adds a bar: strings for the table; value, baseline_value and
        ratio_value for machines. A bar met only within its noise allowance
        reads "PASS (noise)"."""
        result = "FAIL"
        if ok:
            result = "PASS (noise)" if within_noise else "PASS"
        self.rows.append(dict(figure=figure, measured=measured,
                              baseline=baseline, ratio=ratio, bar=bar,
                              result=result, value=value,
                              baseline_value=baseline_value,
                              ratio_value=ratio_value, passed=bool(ok),
                              within_noise=bool(ok and within_noise)))


def threads(bench, n):
    """The name of a session_benchmark case at n threads."""
    return f"BM_{bench}/threads:{n}"


def add_session_bars(s):
    """The session layer's bars."""
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
    for label, bench, naive_bench in (
            ("BindSession+UnbindSession", "BindUnbind_GlsBindSession",
             "BindUnbind_Naive"),
            ("Session::Set", "ValueSet_Gls", "ValueSet_Naive")):
        one, two = s.median(t(bench, 1)), s.median(t(bench, 2))
        naive = s.median(t(naive_bench, 1))
        s.row(f"{label}, 1 thread (ns)", f"{one:.1f}", f"naive {naive:.1f}",
              f"{one / naive:.2f}x naive", "<= 40 ns", one <= 40, one, naive,
              one / naive)
        s.row(f"{label}, 2 threads (ns/op/thread)", f"{two:.1f}",
              f"1 thread {one:.1f}", f"{two / one:.2f}x", "<= 1.3x 1 thread",
              two <= 1.3 * one, two, one, two / one)
    for n in (1, 2):
        name = f"BM_Pool_CarryAdded/real_time/threads:{n}"
        added = s.median(name, "added_ns")
        base = s.median(name, "no_carry_ns")
        s.row(f"pool carry added per task, {n} submitter(s) (ns)",
              f"{added:.1f}", f"no carry {base:.0f}/task",
              f"{(base + added) / base:.3f}x", "<= 100 ns", added <= 100,
              added, base, (base + added) / base)


def per_round_vs_propagate(s, metainfo, conc, by_rpc=False):
    """gls against manual-propagate at one concurrency of one run: medians
    over rounds of the per-round ratio (throughput, CPU per RPC; each mode's
    ratio to plain in the same round, divided) and of the per-round
    difference of added p50; p99: the pooled p99s subtracted."""
    g = s.load(metainfo, conc, "gls", by_rpc)
    p = s.load(metainfo, conc, "manual-propagate", by_rpc)

    def per_round(key, op):
        return statistics.median(op(a, b) for a, b in zip(g[key], p[key]))

    return dict(
        throughput_x=per_round("rounds_throughput_vs_plain",
                               lambda a, b: a / b),
        cpu_x=per_round("rounds_cpu_vs_plain", lambda a, b: a / b),
        p50_added_us=per_round("rounds_p50_added_us", lambda a, b: a - b),
        p99_added_us=g["p99_us"] - p["p99_us"],
        gls=g, propagate=p)


def add_chain_bars(s):
    """The chain's bars against manual-propagate (the same job written by
    hand: FromServerContext plus the headers copied), for both runs, at every
    concurrency of the run (scripts/bench.sh: 1, 8 and 64): from the runs
    interleaved by RPC if they are there, else from the runs by slice."""
    for _, label, metainfo in RPC_RUNS:
        by_rpc = metainfo in s.by_rpc
        how = "interleaved by RPC" if by_rpc else "by slice"
        for conc in s.concurrencies(metainfo, by_rpc):
            c = per_round_vs_propagate(s, metainfo, conc, by_rpc)
            x = c["throughput_x"]
            s.row(f"chain throughput, {label}, concurrency {conc}, {how} "
                  "(rpc/s)",
                  f"{c['gls']['throughput_rps']:.0f}",
                  f"manual-propagate {c['propagate']['throughput_rps']:.0f}",
                  f"{x:.3f}x, p50 {c['p50_added_us']:+.1f} us, "
                  f"p99 {c['p99_added_us']:+.0f} us",
                  f">= {THROUGHPUT_BAR:.2f}x", x >= THROUGHPUT_BAR,
                  c["gls"]["throughput_rps"],
                  c["propagate"]["throughput_rps"], x)


def add_callback_bars(s, scale):
    """The callback-API chain's bars (scale_benchmark), if it ran."""
    for r in scale:
        x = r["throughput_x"]
        s.row(f"callback chain throughput, concurrency {r['concurrency']}",
              f"{x:.3f}x", "manual-propagate, same rounds",
              f"p50 {r['p50_added_us']:+.1f} us, "
              f"p99 {r['p99_added_us']:+.0f} us",
              f">= {THROUGHPUT_BAR:.2f}x", x >= THROUGHPUT_BAR, x, 1.0, x)


def add_instruction_bars(s, counts):
    """The instruction bars, from OUT/instructions.json
    (count_instructions.py --json), if it ran."""
    if counts is None:
        return
    own = counts["own"]
    for key, label, bar in (("without_metainfo", "without metainfo", 300),
                            ("with_metainfo", "with metainfo", 2000)):
        v = own[key]
        s.row(f"gls's own instructions per RPC, {label}", f"{v:.0f}",
              "(callgrind, gls's entry points)", "-", f"<= {bar:,}",
              v <= bar, v)
    chain = counts.get("chain")
    if not chain:
        return
    for key, label, bar in (("without_metainfo", "without metainfo", 0),
                            ("with_metainfo", "with metainfo", 500)):
        g = chain[key]["gls"]
        p = chain[key]["manual-propagate"]
        s.row(f"chain instructions per RPC, {label}", f"{g:.0f}",
              f"manual-propagate {p:.0f}", f"{g - p:+.0f}",
              f"gls - manual-propagate <= {bar:+d}", g - p <= bar, g, p,
              g - p)


def add_alloc_bars(s):
    """The allocation bars, each from the run of its kind of request."""
    # Every outbound call made under a session gets gls's client interceptor
    # (it ties the call to the request's cancellation and collects backward
    # values), so the reference is "noop-pair", gRPC's machinery for a server
    # and a client interceptor. gls's two interceptor objects come from
    # recycled per-thread blocks where noop-pair's are malloc'd, so gls's own
    # count is about -2: the bar is "none beyond gRPC's machinery" (<= 0).
    a = {m: s.allocs(False, m)
         for m in ("plain", "manual", "gls", "noop-pair")}
    machinery = a["gls"] - a["noop-pair"]
    header_map = a["manual"] - a["plain"]
    own = round(machinery - header_map, 2) + 0.0  # no "-0.00"
    s.row("allocs per RPC, without metainfo: gls's own",
          f"{own:+.2f}",
          f"gls {a['gls']:.2f}, noop-pair {a['noop-pair']:.2f}",
          f"{machinery:+.2f} - hdr map {header_map:.2f}",
          "<= 0 beyond gRPC's interceptors", own < ALLOC_NOISE, own,
          a["noop-pair"], machinery)
    g, m = s.allocs(True, "gls"), s.allocs(True, "manual")
    s.row("allocs per RPC, with metainfo", f"{g:.2f}", f"manual {m:.2f}",
          f"{g - m:+.2f} vs manual", f"<= manual (+{ALLOC_NOISE} noise)",
          g <= m + ALLOC_NOISE, g, m, g - m)


def add_bars(s, scale, counts):
    """The bars of BENCHMARKS.md, in its order."""
    add_session_bars(s)
    add_chain_bars(s)
    add_callback_bars(s, scale)
    add_alloc_bars(s)
    add_instruction_bars(s, counts)


def chain_rows(s):
    """Every mode of both runs with its ratios to plain and manual."""
    rows = []
    for _, label, metainfo in RPC_RUNS:
        for conc in s.concurrencies(metainfo):
            for r in s.rpc[metainfo]["load"]:
                if r["concurrency"] != conc:
                    continue
                rows.append(dict(
                    run=label, concurrency=conc, mode=r["mode"],
                    throughput_rps=r["throughput_rps"],
                    p50_us=r["p50_us"], cpu_us_per_rpc=r["cpu_us_per_rpc"],
                    throughput_vs_plain=r["throughput_vs_plain"],
                    p50_added_us=r["p50_added_us"],
                    cpu_vs_plain=r["cpu_vs_plain"],
                    throughput_vs_manual=r.get("throughput_vs_manual"),
                    p50_added_vs_manual_us=r.get("p50_added_vs_manual_us"),
                    cpu_vs_manual=r.get("cpu_vs_manual")))
    return rows


def print_chain(rows):
    print()
    print("== RPC chain, both runs (x, +p50, cpu x: medians over rounds of "
          "the comparison in the same round)")
    print(f"{'requests':<17} {'conc':>4} {'mode':<16} {'rpc/s':>7} "
          f"{'p50 us':>7} {'cpu us':>7} | {'x plain':>7} {'+p50':>6} "
          f"{'cpu x':>6} | {'x manual':>8} {'+p50':>6} {'cpu x':>6}")

    def fmt(v, spec, width):
        return "-".rjust(width) if v is None else format(v, spec)

    for r in rows:
        print(f"{r['run']:<17} {r['concurrency']:>4} {r['mode']:<16} "
              f"{r['throughput_rps']:>7.0f} {r['p50_us']:>7.1f} "
              f"{r['cpu_us_per_rpc']:>7.1f} | "
              f"{r['throughput_vs_plain']:>7.3f} {r['p50_added_us']:>+6.2f} "
              f"{r['cpu_vs_plain']:>6.3f} | "
              f"{fmt(r['throughput_vs_manual'], '>8.3f', 8)} "
              f"{fmt(r['p50_added_vs_manual_us'], '>+6.2f', 6)} "
              f"{fmt(r['cpu_vs_manual'], '>6.3f', 6)}")


def against_propagate(s):
    """gls against manual-propagate per run and concurrency, in the runs by
    slice and, if there, those interleaved by RPC (CPU per RPC: from the
    runs by slice, and at concurrency 1)."""
    rows = []
    runs = [(label, metainfo, False) for _, label, metainfo in RPC_RUNS]
    runs += [(label, metainfo, True) for _, label, metainfo in BY_RPC_RUNS
             if metainfo in s.by_rpc]
    for label, metainfo, by_rpc in runs:
        for conc in s.concurrencies(metainfo, by_rpc):
            c = per_round_vs_propagate(s, metainfo, conc, by_rpc)
            cpu_x = c["cpu_x"] if not by_rpc or conc == 1 else None
            rows.append(dict(run=label, concurrency=conc,
                             interleave="rpc" if by_rpc else "slice",
                             throughput_x=c["throughput_x"],
                             p50_added_us=c["p50_added_us"],
                             p99_added_us=c["p99_added_us"],
                             cpu_x=cpu_x))
    return rows


def print_against_propagate(rows):
    if not rows:
        return
    print()
    print("== gls against manual-propagate (FromServerContext + headers by "
          "hand): medians over rounds; bar: throughput >= 1.00x at every "
          "concurrency, in the runs interleaved by RPC when there")
    print(f"{'requests':<17} {'interleave':>10} {'conc':>4} "
          f"{'x throughput':>12} {'+p50 us':>8} {'+p99 us':>8} {'cpu x':>6}  "
          "vs 1.00x")
    for r in rows:
        verdict = "PASS" if r["throughput_x"] >= THROUGHPUT_BAR else "FAIL"
        cpu = "-" if r["cpu_x"] is None else f"{r['cpu_x']:.3f}"
        print(f"{r['run']:<17} {r['interleave']:>10} {r['concurrency']:>4} "
              f"{r['throughput_x']:>12.3f} {r['p50_added_us']:>+8.2f} "
              f"{r['p99_added_us']:>+8.0f} {cpu:>6}  {verdict}")


def scale_rows(out):
    """The callback-API chain's gls / manual-propagate per concurrency, from
    OUT/scale.json (scale_benchmark), with the bar of issue 21 (throughput
    >= 1.00x); empty without that file."""
    path = os.path.join(out, "scale.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        scale = json.load(f)
    rows = []
    for load in scale["load"]:
        c = load["gls_vs_propagate"]
        if c is None:
            continue
        rows.append(dict(api="callback", concurrency=load["concurrency"],
                         throughput_x=c["throughput"],
                         p50_added_us=c["p50_added_us"],
                         p99_added_us=load["gls_p99_added_vs_propagate_us"],
                         cpu_x=c["cpu"],
                         passed=c["throughput"] >= THROUGHPUT_BAR))
    return rows


def print_scale(rows):
    if not rows:
        return
    print()
    print("== callback-API chain (scale_benchmark), gls against "
          "manual-propagate: medians over rounds; bar: throughput >= 1.00x")
    print(f"{'conc':>4} {'x throughput':>12} {'+p50 us':>8} {'+p99 us':>8} "
          f"{'cpu x':>6}  bar")
    for r in rows:
        print(f"{r['concurrency']:>4} {r['throughput_x']:>12.3f} "
              f"{r['p50_added_us']:>+8.2f} {r['p99_added_us']:>+8.1f} "
              f"{r['cpu_x']:>6.3f}  {'PASS' if r['passed'] else 'FAIL'}")


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
    scale = scale_rows(out)
    counts = None
    if os.path.exists(os.path.join(out, "instructions.json")):
        with open(os.path.join(out, "instructions.json")) as f:
            counts = json.load(f)
    add_bars(s, scale, counts)
    chain = chain_rows(s)
    print_bars(s.rows)
    print_chain(chain)
    propagate = against_propagate(s)
    print_against_propagate(propagate)
    print_scale(scale)
    print_session_cases(s)

    cpu = cpu_model()
    load_avg = s.session["context"].get("load_avg")
    summary = dict(machine=dict(nproc=os.cpu_count(), cpu=cpu,
                                kernel=platform.release(), load_avg=load_avg),
                   bars=s.rows, chain=chain,
                   gls_vs_manual_propagate=propagate,
                   callback_gls_vs_manual_propagate=scale,
                   instructions=counts)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print()
    print(f"machine: {os.cpu_count()} x {cpu}; load average at start "
          f"{load_avg}")
    by_rpc = "".join(f", {out}/{name}" for name, _, metainfo in BY_RPC_RUNS
                     if metainfo in s.by_rpc)
    print(f"JSON: {out}/summary.json, {out}/session.json, {out}/rpc.json, "
          f"{out}/rpc_no_metainfo.json{by_rpc}, {out}/scale.json")


if __name__ == "__main__":
    main(sys.argv)
