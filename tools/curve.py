"""The growth curve of the benchmark: ./dev curve SIZES

Reads the results that ``./dev bench --json`` wrote at each size (one file per
size) and writes, beside them, ``curve.md`` (the time of each row at each size
and how it grows) and ``curve.png`` (the same, log-log, with a line of slope 1
for reference); prints the markdown. A step grows linearly when its time is
proportional to the number of clients: its exponent k (time ~ clients^k,
between two sizes) is then 1, and 2 for a quadratic one.
"""

import argparse
import json
import math
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

# The rows of the curve (those of bench.py's table that grow with the dataset:
# the nightly jobs, the install, the preview), when measured.
CURVE_ROWS = ["a", "b", "c", "f0", "f", "f1", "g0", "g", "h0", "h", "i", "j", "p"]


def load(paths):
    reports = [json.loads(Path(path).read_text()) for path in paths]
    reports.sort(key=lambda report: report["clients"])
    if len({report["clients"] for report in reports}) != len(reports):
        raise SystemExit("two results of the same size")
    return reports


def exponent(small, large):
    """k in time ~ clients^k between two sizes; None when a time is zero."""
    (n1, t1), (n2, t2) = small, large
    if min(t1, t2) <= 0 or n1 == n2:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def series(reports):
    """row key -> (measure, [(clients, seconds, peak RSS)]) for the rows measured at every size;
    plus i-: the install less the same install into an empty database (Odoo's
    own loading), the part that grows with the data."""
    out = {}
    for key in CURVE_ROWS:
        points = [
            (report["clients"], report["rows"][key]["seconds"], report["rows"][key]["peak_rss"])
            for report in reports
            if key in report["rows"]
        ]
        if len(points) == len(reports):
            # without what varies from a size to the next (the number of calls)
            measure = re.sub(r" \(\d+ calls?\)| \(\d+ call\(s\)\)", "", reports[-1]["rows"][key]["measure"])
            out[key] = (measure, points)
        if key == "i" and key in out and all(report["rows"]["i"].get("empty_seconds") for report in reports):
            out["i-"] = (
                "install, less the install into an empty database",
                [
                    (n, seconds - report["rows"]["i"]["empty_seconds"], rss)
                    for (n, seconds, rss), report in zip(points, reports, strict=True)
                ],
            )
    return out


def markdown(reports, curves):
    sizes = [f"{report['clients']:,} clients" for report in reports]
    lines = [
        "| | measure | " + " | ".join(sizes) + " | growth k (time ~ clients^k) | peak RSS at the largest |",
        "|---|---|" + "---|" * len(sizes) + "---|---|",
    ]
    for key, (measure, points) in curves.items():
        times = [f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s" for _n, seconds, _rss in points]
        ks = [exponent(a[:2], b[:2]) for a, b in zip(points, points[1:], strict=False)]
        growth = ", ".join("-" if k is None else f"{k:.2f}" for k in ks)
        lines.append(
            f"| {key} | {measure} | "
            + " | ".join(times)
            + f" | {growth} | {points[-1][2] / 2**20:,.0f} MiB |"
        )
    datasets = [f"- {report['info']}" for report in reports]
    return "\n".join([*lines, "", "Datasets:", *datasets, "", f"Machine: {reports[-1]['machine']}."])


def plot(curves, path):
    figure, axes = plt.subplots(figsize=(9, 5.6), dpi=100)
    for key, (measure, points) in curves.items():
        clients = [n for n, _t, _rss in points]
        seconds = [t for _n, t, _rss in points]
        axes.plot(clients, seconds, marker="o", label=f"{key}) {measure}")
    if "b" in curves:
        # Linear growth from the engine's first point, for reference.
        (n0, t0, _rss), *_rest = curves["b"][1]
        ends = [n0, curves["b"][1][-1][0]]
        axes.plot(ends, [t0, t0 * ends[1] / n0], linestyle="--", color="grey", label="linear (slope 1)")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("clients (10 orders each)")
    axes.set_ylabel("seconds")
    axes.set_title("sales_roles: how the cost grows with the number of clients")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main(argv):
    parser = argparse.ArgumentParser(prog="./dev curve", description=__doc__.strip().split("\n")[0])
    parser.add_argument("results", nargs="+", help="the JSON files of ./dev bench --json, one per size")
    parser.add_argument("--out", required=True, help="folder of curve.md and curve.png")
    args = parser.parse_args(argv)
    reports = load(args.results)
    curves = series(reports)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(reports, curves)
    (out / "curve.md").write_text(text + "\n")
    plot(curves, out / "curve.png")
    print(text)
    print(f"\nWritten: {out / 'curve.md'}, {out / 'curve.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
