"""./dev populate and ./dev bench on a small dataset: a smoke test of the commands.

Runs inside `./dev test`, on the cluster it exports, in a database of its own
(never the full-size benchmark database). It checks that the dataset passes its
own ORM sample check and that the table comes out with its rows and ratios;
timings are the benchmark's business, not the test's.
"""

import os
import re
import subprocess
from pathlib import Path

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONF = os.environ.get("SALES_ROLES_CONF")
SMOKE_DB = "sales_roles_bench_smoke"

pytestmark = pytest.mark.skipif(not CONF, reason="needs the cluster of ./dev test")


def _conf(key):
    for line in Path(CONF).read_text().splitlines():
        name, _sep, value = line.partition("=")
        if name.strip() == key:
            return value.strip()
    raise KeyError(key)


def _drop_smoke_db():
    conn = psycopg2.connect(
        dbname="postgres", host=_conf("db_host"), port=_conf("db_port"), user=_conf("db_user")
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{SMOKE_DB}" WITH (FORCE)')
    finally:
        conn.close()


def _dev(*args):
    proc = subprocess.run(
        [str(ROOT / "dev"), *args],
        cwd=ROOT,
        env={**os.environ, "SALES_ROLES_BENCH_DB": SMOKE_DB},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, (
        f"./dev {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


@pytest.fixture(scope="module")
def smoke_db():
    yield SMOKE_DB
    _drop_smoke_db()


def test_populate_then_bench(smoke_db):
    out = _dev("populate", "--clients", "2000", "--orders", "20000")
    assert re.search(r"2000 clients \(new \d+, prospect \d+\), 2001 contacts", out), out
    assert re.search(r"sample check passed: \d+ lines, \d+ orders, \d+ partners, \d+ clients", out), out

    out = _dev("bench", "--repeat", "1", "--sample", "30")
    assert f"Benchmark of {smoke_db}: 2,000 clients, 20,000 orders" in out, out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if re.match(r"^\| [a-e] \|", line)}
    assert sorted(rows) == ["a", "b", "c", "d", "e"], out
    assert "handovers/s" in rows["c"] and "clients/s" in rows["e"]
    for ratio in ("b/a", "c/e", "d/b"):
        assert re.search(rf"^{ratio} = [\d,.]+", out, re.MULTILINE), f"no {ratio} in:\n{out}"
    assert re.search(r"^evaluation queries: \d+ for [\d,]+ clients", out, re.MULTILINE), out
    assert "peak RSS of the scheduled action" in out
    assert "disagree" not in out, "the naive loop and the engine must find the same handovers"
