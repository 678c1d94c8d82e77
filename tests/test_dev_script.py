"""The ./dev entry point: its help, and its message when Odoo's source is missing."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _dev(*args, tmp_path, **env):
    return subprocess.run(
        [str(ROOT / "dev"), *args],
        cwd=ROOT,
        # a scratch run folder: whatever the script gets to do, .run/ is left alone
        env={**os.environ, "SALES_ROLES_RUN": str(tmp_path / "run"), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help(tmp_path):
    proc = _dev("help", tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for command in ("demo", "test", "stop", "lint"):
        assert command in proc.stdout


def test_missing_odoo_source(tmp_path):
    proc = _dev("test", tmp_path=tmp_path, ODOO_SRC="/nonexistent")
    assert proc.returncode != 0
    assert "ODOO_SRC" in proc.stderr
    assert "18.0" in proc.stderr
    assert not (tmp_path / "run").exists()
