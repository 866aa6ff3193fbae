#!/usr/bin/env python3
"""Draws how gls's cost grows with persistent values, from scale_benchmark.

Reads the JSON of `scale_benchmark --json=PATH` and writes one PNG of two
panels: CPU time per RPC of the whole chain (client, front, leaf) for
manual-propagate and gls, by number of persistent values (16 bytes each), and
by the size of one value. scripts/bench.sh runs it and keeps the picture as
benchmarks/growth.png.

Usage: plot_growth.py SCALE_JSON OUT_PNG [TITLE]
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display
import matplotlib.pyplot as plt  # noqa: E402


def series(growth, by_values):
    """The points of one series: (x, propagate us, gls us), sorted by x."""
    if by_values:
        points = [p for p in growth if p["value_size"] == 16]
        key = "values"
    else:
        points = [p for p in growth if p["values"] == 1]
        key = "value_size"
    points = sorted(points, key=lambda p: p[key])
    seen = set()
    out = []
    for p in points:
        if p[key] in seen:  # (1 value, 16 B) is in both series
            continue
        seen.add(p[key])
        out.append((p[key], p["propagate_cpu_us"], p["gls_cpu_us"]))
    return out


def panel(axes, points, xlabel):
    xs = [str(x) for x, _, _ in points]
    axes.plot(xs, [p for _, p, _ in points], "o-", label="manual-propagate")
    axes.plot(xs, [g for _, _, g in points], "s-", label="gls")
    axes.set_xlabel(xlabel)
    axes.set_ylabel("CPU us per RPC (whole chain)")
    axes.set_ylim(bottom=0)
    axes.grid(True, alpha=0.3)
    axes.legend()


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1]) as f:
        doc = json.load(f)
    growth = doc.get("growth", [])
    if not growth:
        sys.stderr.write("plot_growth.py: no growth figures in %s\n" % argv[1])
        return 1
    context = doc["context"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    panel(left, series(growth, True), "persistent values (16 B each)")
    panel(right, series(growth, False), "bytes of one persistent value")
    title = argv[3] if len(argv) == 4 else "gls cost growth"
    figure.suptitle(
        "%s: callback chain, %d calls in flight, median of %d rounds"
        % (title, context["growth_concurrency"], context["growth_rounds"]))
    figure.tight_layout()
    figure.savefig(argv[2], dpi=80)
    print("plot: %s" % argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
