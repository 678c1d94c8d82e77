"""./dev curve (populate, then bench, then the growth curve) on a small dataset:
a smoke test of the benchmark commands.

Runs inside `./dev test`, on the cluster it exports, in databases of its own
(never the full-size benchmark database). It checks that the dataset passes its
own ORM sample check, that the table comes out with every row and ratio, that
the install and the crediting of past orders reproduce the dataset, and that the
curve's table and plot are written; timings are the benchmark's business, not
the test's.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE_DB = "sales_roles_bench_smoke"
CLIENTS = 1000


@pytest.fixture(scope="module")
def curve(sql, dev, tmp_path_factory):
    """The output of ./dev curve at one small size, and its folder."""
    out = tmp_path_factory.mktemp("curve")
    try:
        proc = dev(
            "curve", str(CLIENTS), "--out", str(out), "--repeat", "1", "--sample", "30",
            env={"SALES_ROLES_BENCH_DB": SMOKE_DB},
        )  # fmt: skip
    finally:
        for db in (f"{SMOKE_DB}_{CLIENTS}", *(f"{SMOKE_DB}_{CLIENTS}_bench_{c}" for c in "cei")):
            sql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    return proc.stdout, out


def test_populate(curve):
    out, _folder = curve
    # farmed clients too: regular clients and key accounts
    states = r"\(key \d+, new \d+, prospect \d+, regular \d+\)"
    assert re.search(rf"{CLIENTS} clients {states}, \d+ contacts", out), out
    assert re.search(r"sample check passed: \d+ lines, \d+ orders, \d+ partners, \d+ clients", out), out
    # the Sales Matrix has something to show: product managers and territories
    assert re.search(
        r"matrix: [1-9]\d* product managers on [1-9]\d* lines; [1-9]\d* territories, [1-9]", out
    ), out


def test_populate_service_targets_proposals(curve):
    out, _folder = curve
    assert re.search(
        r"service: [1-9][\d]* touches on clients, [1-9]\d* clients followed by a standard \([1-9]\d* due or "
        r"overdue\); [1-9]\d* targets; [1-9]\d* proposals pending",
        out,
    ), out


def test_bench_table(curve):
    out, _folder = curve
    assert f"Benchmark of {SMOKE_DB}_{CLIENTS}: 1,000 clients, 10,000 orders" in out, out
    rows = {}
    for line in out.splitlines():
        if re.match(r"^\| [a-z]\d? +\|", line):
            rows.setdefault(line.split("|")[1].strip(), line)  # the bench's table, not the curve's after it
    assert sorted(rows) == sorted([*"abcdeijkmnpr", "f0", "f", "f1", "g0", "g", "h0", "h"]), out
    assert "handovers/s" in rows["c"] and "clients/s" in rows["e"]
    assert re.search(r"10,000 orders, 0 rewritten", rows["i"]), "the install writes no order"
    assert re.search(r"orders/s \([1-9][\d,]*\)", rows["j"]), rows["j"]
    assert re.search(r"[1-9][\d,]* clients listed", rows["p"]), rows["p"]
    assert re.search(r"1\d sources, [1-9]\d* requests", rows["k"]), rows["k"]
    for ratio in ("b/a", "c/e", "d/b", "f/f0", "g/g0", "h/h0"):
        assert re.search(rf"^{ratio} = [\d,.]+", out, re.MULTILINE), f"no {ratio} in:\n{out}"
    assert re.search(r"^evaluation queries: \d+ for [\d,]+ clients", out, re.MULTILINE), out
    assert "peak RSS of the scheduled action" in out
    assert re.search(
        r"^install: [1-9][\d,]* partners classified, 0 orders rewritten; into the empty", out, re.M
    )
    assert "crediting past orders: switched itself off when done: True" in out
    assert re.search(r"^preview of rule '.+'; Run Now says: [1-9]\d* client\(s\)", out, re.MULTILINE), out
    assert "disagree" not in out, "the naive loop and the engine must find the same handovers"
    # f) the service figures of every client in one statement; f1) the daily job raised and scheduled
    assert re.search(r"[1-9][\d,]* clients, [1-9][\d,]* followed", rows["f0"]), rows["f0"]
    assert re.search(r"^service figures: .* clients: 1 SQL statement\(s\)", out, re.MULTILINE), out
    assert re.search(r"[1-9][\d,]* raised at risk, [1-9][\d,]* to-dos", rows["f1"]), rows["f1"]
    # g) every target measured and stored, as the hand-written floor computes them
    assert re.search(r"^targets: [1-9][\d,]* measured and stored in \d+ queries, the list read in \d+ "
                     r"\(\d+\.\d\d s\); achieved amounts and floor agree$", out, re.MULTILINE), out  # fmt: skip
    # h) every pending proposal approved, as many clients as the same handovers applied
    match = re.search(
        r"^proposals: ([\d,]+) of \1 approved in \d+ queries; applied as handovers: \1 in", out, re.M
    )
    assert match and match[1] != "0", out
    assert re.search(
        r"^Sales Matrix .*: [\d.]+ s, [1-9][\d,]* cells; as a regional manager", out, re.MULTILINE
    ), out


def test_curve_table_and_plot(curve, tmp_path):
    out, folder = curve
    table = (folder / "curve.md").read_text()
    assert table in out
    for key in ["a", "b", "c", "f0", "f", "f1", "g0", "g", "h0", "h", "i", "j", "p"]:
        assert re.search(rf"^\| {key} \| .+ \| [\d.]+ s \| +\| [\d,]+ MiB \|$", table, re.MULTILINE), table
    assert (folder / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Two sizes: the growth exponent, here of a step that takes twice as long
    # for twice the clients (linear: k = 1).
    first = json.loads((folder / f"bench-{CLIENTS}.json").read_text())
    second = json.loads(json.dumps(first))
    second["clients"] *= 2
    for row in second["rows"].values():
        row["seconds"] *= 2
    (tmp_path / "second.json").write_text(json.dumps(second))
    results = [folder / f"bench-{CLIENTS}.json", tmp_path / "second.json"]
    proc = subprocess.run(
        [sys.executable, ROOT / "tools/curve.py", "--out", tmp_path, *results],
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"^\| b \| engine: .+ \| 1\.00 \| ", proc.stdout, re.MULTILINE), proc.stdout
    assert (tmp_path / "curve.png").exists()
