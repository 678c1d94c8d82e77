"""./dev populate and ./dev bench on a small dataset: a smoke test of the commands.

Runs inside `./dev test`, on the cluster it exports, in a database of its own
(never the full-size benchmark database). It checks that the dataset passes its
own ORM sample check and that the table comes out with its rows and ratios;
timings are the benchmark's business, not the test's.
"""

import re

import pytest

SMOKE_DB = "sales_roles_bench_smoke"


@pytest.fixture(scope="module")
def smoke_db(sql):
    yield SMOKE_DB
    sql("postgres", f'DROP DATABASE IF EXISTS "{SMOKE_DB}" WITH (FORCE)')


def test_populate_then_bench(smoke_db, dev):
    def run(*args):
        return dev(*args, env={"SALES_ROLES_BENCH_DB": smoke_db}).stdout

    out = run("populate", "--clients", "2000", "--orders", "20000")
    assert re.search(r"2000 clients \(new \d+, prospect \d+\), 2001 contacts", out), out
    assert re.search(r"sample check passed: \d+ lines, \d+ orders, \d+ partners, \d+ clients", out), out
    # the Sales Matrix has something to show: product managers and territories
    assert re.search(
        r"matrix: [1-9]\d* product managers on [1-9]\d* lines; [1-9]\d* territories, [1-9]", out
    ), out

    out = run("bench", "--repeat", "1", "--sample", "30")
    assert f"Benchmark of {smoke_db}: 2,000 clients, 20,000 orders" in out, out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if re.match(r"^\| [a-e] \|", line)}
    assert sorted(rows) == ["a", "b", "c", "d", "e"], out
    assert "handovers/s" in rows["c"] and "clients/s" in rows["e"]
    for ratio in ("b/a", "c/e", "d/b"):
        assert re.search(rf"^{ratio} = [\d,.]+", out, re.MULTILINE), f"no {ratio} in:\n{out}"
    assert re.search(r"^evaluation queries: \d+ for [\d,]+ clients", out, re.MULTILINE), out
    assert "peak RSS of the scheduled action" in out
    assert "disagree" not in out, "the naive loop and the engine must find the same handovers"
    assert re.search(
        r"^Sales Matrix .*: [\d.]+ s, [1-9][\d,]* cells; as a regional manager", out, re.MULTILINE
    ), out
