#!/usr/bin/env python3
"""Counts gls's own instructions per RPC in the benchmark chain.

Runs build/bench/benchmarks/rpc_benchmark (mode gls only) under valgrind's
callgrind, collecting only inside gls's per-request functions (the server and
client interceptor factories, binding a request before its handler, the
interceptors' work outside the handler, session creation and sealing; from
the callgrind file's own call graph, each function once), and divides by the
number of requests the front received (calls of the server factory). Instruction counts do not depend on
the machine's load.

It then counts the whole chain's instructions per RPC for every mode (all
threads: client, front and leaf), from the benchmark's allocation phase:
callgrind zeroes its counters when a phase interval starts
(gls_bench::StartCounting) and dumps them when it stops (StopCounting), so
each interval of --chain_rpcs calls of one mode is counted alone. The
difference between two modes is what one costs over the other, gRPC's work
included (gRPC's interceptor machinery: `noop-pair` - `plain`). Medians over
--chain_rounds rounds, the modes' order rotating between rounds as in the
benchmark.

gls's own instructions are counted for four kinds of request: without and
with metainfo, each without and with W3C context (rpc_benchmark --w3c:
traceparent, tracestate and a baggage of three members).

Usage: benchmarks/count_instructions.py [BUILD_DIR] [--seconds N]
           [--chain_rounds N] [--chain_rpcs N]  (--chain_rounds=0: skip)
           [--chain_w3c]  (the chain's requests with W3C context too)
           [--json PATH]  (the counts as JSON; scripts/bench.sh writes
                           OUT/instructions.json, summarize.py checks its bars)
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# gls's per-request entry points, counted inclusively (with what they call,
# allocation included). A call from one entry point straight into another
# (the server interceptor's destructor detaching the poller, the client's
# unregistering) is counted once, in the caller. The handler, which runs
# inside the server interceptor's Intercept, is not counted; nor are the
# interceptors' Intercept bodies (mostly gRPC's batch API, which noop-pair
# pays as well: the chain figures below count them).
ENTRY_POINTS = [
    re.compile(r"gls::server::.*BackupFactory::CreateServerInterceptor"),
    # Binding a request: its metadata scanned, its session made, the poller
    # attached (Bind without the handler's Proceed).
    re.compile(r"gls::server::.*BackupInterceptor::Capture"),
    re.compile(r"gls::server::.*BackupInterceptor::~BackupInterceptor"),
    re.compile(r"gls::client::.*BackupFactory::CreateClientInterceptor"),
    re.compile(r"gls::client::.*BackupInterceptor::Apply"),
    re.compile(r"gls::client::.*BackupInterceptor::~BackupInterceptor"),
    # Cancellation and backward values, per outbound call and per request
    # (called from Intercept, whose inclusive count would hold gRPC's work).
    re.compile(r"gls::client::.*BackupInterceptor::Register"),
    re.compile(r"gls::client::.*BackupInterceptor::Unregister"),
    re.compile(r"gls::interceptors_internal::CollectBackward"),
    re.compile(r"gls::interceptors_internal::AddBackwardTrailers"),
    re.compile(r"gls::session_internal::SessionAccess::DetachPoller"),
]


def parse_callgrind(path):
    """Function names, calls to each, self costs and call costs by
    (caller, callee) from a callgrind output file (one event: Ir)."""
    names, calls = {}, {}
    self_cost, call_cost = {}, {}
    fn = callee = None
    in_call = False
    with open(path) as f:
        for line in f:
            m = re.match(r"(c?fn)=\((\d+)\)(?: (.*))?", line)
            if m:
                if m.group(3):
                    names[m.group(2)] = m.group(3).strip()
                if m.group(1) == "fn":
                    fn = m.group(2)
                else:
                    callee = m.group(2)
                continue
            m = re.match(r"calls=(\d+)", line)
            if m:
                calls[callee] = calls.get(callee, 0) + int(m.group(1))
                in_call = True
                continue
            if line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                cost = int(parts[1]) if len(parts) > 1 else 0
                if in_call:
                    key = (fn, callee)
                    call_cost[key] = call_cost.get(key, 0) + cost
                    in_call = False
                else:
                    self_cost[fn] = self_cost.get(fn, 0) + cost
    return names, calls, self_cost, call_cost


def count(binary, metainfo, w3c, seconds, workdir):
    out = os.path.join(workdir, "callgrind.%s.%s.out" % (metainfo, w3c))
    cmd = (["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
            binary, "--modes=gls", "--concurrency=1", "--rounds=1",
            "--slice_ms=%d" % (seconds * 1000), "--warmup_ms=100",
            # No allocation phase: it calls with and without metainfo, and
            # would mix the other kind of request into the count.
            "--alloc_rounds=0",
            "--metainfo=%s" % ("true" if metainfo else "false"),
            "--w3c=%s" % ("true" if w3c else "false")])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    names, calls, self_cost, call_cost = parse_callgrind(out)
    requests = sum(c for f, c in calls.items()
                   if ENTRY_POINTS[0].match(names.get(f, "")))
    entries = {f for f, name in names.items()
               if any(p.match(name) for p in ENTRY_POINTS)}
    total = sum(self_cost.get(f, 0) for f in entries)
    for (caller, callee), cost in call_cost.items():
        # Inclusive: what an entry point calls, except other entry points
        # (counted on their own).
        if caller in entries and callee not in entries:
            total += cost
    return total, requests


# The modes in the order of chain_mode.h's kAllModes; phases.cc's RunAllocs
# runs, for requests without metainfo then with, `rounds` rounds in which the
# i-th interval is mode (i + round) % (number of modes).
CHAIN_MODES = ["plain", "manual", "gls", "noop", "noop-pair",
               "manual-propagate"]


def count_chain(binary, rounds, rpcs, workdir, w3c=False):
    """Whole-chain instructions per RPC: {(metainfo, mode): [per round]}."""
    out = os.path.join(workdir, "chain.out")
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
           "--zero-before=gls_bench::StartCounting()",
           "--dump-before=gls_bench::StopCounting()",
           binary, "--modes=" + ",".join(CHAIN_MODES), "--concurrency=1",
           "--rounds=1", "--slice_ms=20", "--warmup_ms=10",
           "--alloc_rounds=%d" % rounds, "--alloc_rpcs=%d" % rpcs,
           "--w3c=%s" % ("true" if w3c else "false")]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    n = len(CHAIN_MODES)
    results, dump = {}, 1
    for metainfo in (False, True):
        for rnd in range(rounds):
            for i in range(n):
                mode = CHAIN_MODES[(i + rnd) % n]
                path = "%s.%d" % (out, dump)
                with open(path) as f:
                    m = re.search(r"^summary: (\d+)", f.read(), re.M)
                if not m:
                    sys.exit("no summary in %s" % path)
                results.setdefault((metainfo, mode), []).append(
                    int(m.group(1)) / rpcs)
                dump += 1
    if os.path.exists("%s.%d" % (out, dump)):
        sys.exit("more intervals than expected: did RunAllocs change?")
    return results


def median(values):
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def print_chain(results, w3c):
    print("whole chain (client + front + leaf), instructions per RPC, "
          "median over rounds%s:" %
          (", requests with W3C context" if w3c else ""))
    print("%-18s %-16s %10s %10s %10s %10s" %
          ("requests", "mode", "per RPC", "- plain", "- manual", "/ manual"))
    for metainfo in (False, True):
        med = {mode: median(results[(metainfo, mode)])
               for mode in CHAIN_MODES}
        for mode in CHAIN_MODES:
            print("%-18s %-16s %10.0f %+10.0f %+10.0f %10.3f" %
                  ("with metainfo" if metainfo else "without metainfo",
                   mode, med[mode], med[mode] - med["plain"],
                   med[mode] - med["manual"], med[mode] / med["manual"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dir", nargs="?", default="build/bench")
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--chain_rounds", type=int, default=3)
    parser.add_argument("--chain_rpcs", type=int, default=1000)
    parser.add_argument("--chain_w3c", action="store_true",
                        help="the chain's requests also carry W3C context "
                        "(the manual modes then copy it by hand)")
    parser.add_argument("--json", help="also write the counts as JSON here "
                        "(read by summarize.py as OUT/instructions.json)")
    args = parser.parse_args()
    binary = os.path.join(args.build_dir, "benchmarks", "rpc_benchmark")
    if not os.access(binary, os.X_OK):
        sys.exit("no %s: run scripts/bench.sh (or build it) first" % binary)
    doc = {"own": {}}
    with tempfile.TemporaryDirectory() as workdir:
        for w3c in (False, True):
            for metainfo in (True, False):
                total, requests = count(binary, metainfo, w3c, args.seconds,
                                        workdir)
                per = total / requests if requests else float("nan")
                print("requests %s metainfo%s: %.0f instructions per RPC "
                      "(%d instructions, %d requests)" %
                      ("with" if metainfo else "without",
                       ", with W3C context" if w3c else "", per, total,
                       requests))
                key = "%s_metainfo%s" % ("with" if metainfo else "without",
                                         "_w3c" if w3c else "")
                doc["own"][key] = per
        if args.chain_rounds > 0:
            chain = count_chain(binary, args.chain_rounds, args.chain_rpcs,
                                workdir, args.chain_w3c)
            print_chain(chain, args.chain_w3c)
            # Under its own key with --chain_w3c: summarize.py's bars are
            # for requests without W3C context.
            doc["chain_w3c" if args.chain_w3c else "chain"] = {
                "%s_metainfo" % ("with" if metainfo else "without"): {
                    mode: median(chain[(metainfo, mode)])
                    for mode in CHAIN_MODES}
                for metainfo in (False, True)}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
        print("JSON: %s" % args.json)


if __name__ == "__main__":
    main()
