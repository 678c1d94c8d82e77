"""`./dev demo` twice, then `./dev stop`, in a run folder of their own.

The demo gets its own PostgreSQL cluster and port, so the test database of the
running `./dev test` is left alone; it shares the virtualenv already built.
"""

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = os.environ.get("SALES_ROLES_RUN")
PORT = "8079"

pytestmark = pytest.mark.skipif(not RUN, reason="runs inside ./dev test")


def _dev(*args, run_dir):
    env = {
        **os.environ,
        "SALES_ROLES_RUN": str(run_dir),
        "SALES_ROLES_VENV": str(Path(RUN) / "venv"),
        "SALES_ROLES_HTTP_PORT": PORT,
    }
    proc = subprocess.run(
        [str(ROOT / "dev"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, f"./dev {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def _login_page_status():
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/web/login", timeout=30) as response:
        return response.status


@pytest.fixture
def run_dir():
    # Inside the test run folder: the cluster belongs to the postgres system user,
    # who must be able to reach it (pytest's tmp_path is private to root).
    path = Path(RUN) / "demo-check"
    subprocess.run(["rm", "-rf", str(path)], check=True)
    path.mkdir(mode=0o755)
    yield path
    _dev("stop", run_dir=path)
    subprocess.run(["rm", "-rf", str(path)], check=True)


def test_demo_twice_then_stop(run_dir):
    out = _dev("demo", run_dir=run_dir)
    assert f"http://localhost:{PORT}" in out
    assert "running the nightly handover once" in out
    assert _login_page_status() == 200
    pid = int((run_dir / "odoo.pid").read_text())

    out = _dev("demo", run_dir=run_dir)  # reuses what exists
    assert "already running" in out
    assert _login_page_status() == 200

    _dev("stop", run_dir=run_dir)
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
