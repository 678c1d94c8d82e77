"""`./dev demo` twice, then `./dev stop`, in a run folder of their own.

The demo gets its own PostgreSQL cluster and port, so the test database of the
running `./dev test` is left alone; it shares the virtualenv already built.
Building the demo takes minutes: this is the suite's only demo run, and it also
checks the story the demo data tells.
"""

import http.cookiejar
import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

RUN = os.environ.get("SALES_ROLES_RUN")
# Next to the worktree's own port, so that test runs of several worktrees do not collide.
PORT = str(int(os.environ.get("SALES_ROLES_HTTP_PORT", "8069")) + 10)
DEMO_DB = os.environ.get("SALES_ROLES_DEMO_DB", "sales_roles_demo")
LIFECYCLE_STATES = {"prospect", "new", "regular", "key", "dormant"}

pytestmark = pytest.mark.skipif(not RUN, reason="runs inside ./dev test")


def _demo_env(run_dir):
    """./dev in the demo's run folder, on its own port, with the test run's virtualenv."""
    return {
        "SALES_ROLES_RUN": str(run_dir),
        "SALES_ROLES_VENV": str(Path(RUN) / "venv"),
        "SALES_ROLES_HTTP_PORT": PORT,
    }


def _login_page_status():
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/web/login", timeout=30) as response:
        return response.status


def _login(login, password):
    """The uid Odoo returns for these credentials (False when refused)."""
    payload = {"jsonrpc": "2.0", "params": {"db": DEMO_DB, "login": login, "password": password}}
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    return (answer.get("result") or {}).get("uid", False)


def _call(login, model, method, *args, **kwargs):
    """``model.method(*args, **kwargs)`` over JSON-RPC, as the demo user ``login``."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def post(path, params):
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}{path}",
            data=json.dumps({"jsonrpc": "2.0", "params": params}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with opener.open(request, timeout=60) as response:
            answer = json.load(response)
        assert "error" not in answer, answer["error"]
        return answer["result"]

    post("/web/session/authenticate", {"db": DEMO_DB, "login": login, "password": login})
    return post(
        f"/web/dataset/call_kw/{model}/{method}",
        {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
    )


def _check_demo_targets():
    """The second bosses' targets: one salesperson ahead of pace and one behind on the same
    product line, a cross-sell list in progress."""
    targets = _call(
        "admin",
        "sales.target",
        "search_read",
        [("name", "=", "Quarter: Building Materials")],
        ["user_id", "manager_id", "pace_status", "task_open_count", "task_done_count"],
    )
    by_user = {target["user_id"][1]: target for target in targets}
    assert {target["manager_id"][1] for target in targets} == {"Laura Schmidt"}
    assert by_user["Irina Volkova"]["pace_status"] in ("on_pace", "reached"), by_user
    assert by_user["Anna Kowalski"]["pace_status"] == "behind", by_user
    olivia = by_user["Olivia Carter"]
    assert (olivia["task_open_count"], olivia["task_done_count"]) == (3, 1), olivia
    # What Laura sees of them, and Anna ("own documents") of hers.
    assert len(_call("pm1", "sales.target.report", "search_read", [], ["target_id"])) == 3
    mine = _call("farmer1", "sales.target", "search_read", [], ["user_id"])
    assert [target["user_id"][1] for target in mine] == ["Anna Kowalski"], mine


def _check_demo_story(demo_sql):
    """Clients in every lifecycle state, each won by its first order's salesperson, and
    the handover that `./dev demo` runs once moved some of them."""
    clients = "SELECT id FROM res_partner WHERE is_company AND parent_id IS NULL AND active"
    demo_clients = (
        "SELECT res_id FROM ir_model_data WHERE module = 'sales_roles' AND model = 'res.partner'"
        f" AND res_id IN ({clients})"
    )
    assert demo_sql(f"SELECT COUNT(*) FROM ({demo_clients}) c")[0][0] >= 30
    states = {
        state
        for (state,) in demo_sql(
            f"SELECT sales_lifecycle_state FROM res_partner WHERE id IN ({demo_clients})"
        )
    }
    assert states == LIFECYCLE_STATES

    wrong_hunter = demo_sql(
        f"""
        SELECT client.name
          FROM res_partner client
         WHERE client.id IN ({demo_clients})
           AND client.hunter_id IS DISTINCT FROM (
                SELECT so.user_id FROM sale_order so
                 WHERE so.partner_id = client.id AND so.state = 'sale'
              ORDER BY so.date_order, so.id LIMIT 1)
        """,
    )
    assert not wrong_hunter, f"hunter is not the salesperson of the first order: {wrong_hunter}"

    # The run just made (the demo's past handovers are dated months ago)
    moved = dict(
        demo_sql(
            "SELECT to_state, COUNT(*) FROM sales_handover"
            " WHERE trigger = 'auto' AND date > NOW() AT TIME ZONE 'UTC' - INTERVAL '1 day'"
            " GROUP BY to_state",
        )
    )
    assert moved.get("regular", 0) >= 1, moved  # hunters' clients to the farmers
    assert moved.get("key", 0) >= 1, moved  # promoted to key account
    assert moved.get("dormant", 0) >= 1, moved  # retention alert
    assert demo_sql("SELECT COUNT(*) FROM sales_handover WHERE date < NOW() - INTERVAL '30 days'")[0][0]

    _check_demo_targets()

    # The demo users log in with their login as password.
    for login in ("hunter1", "farmer1", "kam", "pm1", "regional"):
        assert _login(login, login), f"{login} cannot log in"
    assert not _login("hunter1", "wrong")


@pytest.fixture
def run_dir(dev):
    # Inside the test run folder: the cluster belongs to the postgres system user,
    # who must be able to reach it (pytest's tmp_path is private to root).
    path = Path(RUN) / "demo-check"
    subprocess.run(["rm", "-rf", str(path)], check=True)
    path.mkdir(mode=0o755)
    yield path
    dev("stop", env=_demo_env(path))
    subprocess.run(["rm", "-rf", str(path)], check=True)


def test_demo_twice_then_stop(run_dir, dev, sql):
    def demo_dev(*args):
        return dev(*args, env=_demo_env(run_dir)).stdout

    out = demo_dev("demo")
    assert f"http://localhost:{PORT}" in out
    assert "running the nightly handover once" in out
    assert _login_page_status() == 200
    pid = int((run_dir / "odoo.pid").read_text())
    _check_demo_story(lambda query: sql(DEMO_DB, query, host=run_dir / "pgsock"))

    out = demo_dev("demo")  # reuses what exists
    assert "already running" in out
    assert _login_page_status() == 200

    demo_dev("stop")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(OSError):
        _login_page_status()
    pg_status = subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            "/usr/lib/postgresql/15/bin/pg_ctl",
            "-D",
            str(run_dir / "pgdata"),
            "status",
        ],
        capture_output=True,
        check=False,
    )
    assert pg_status.returncode != 0, "the demo's PostgreSQL is stopped"
