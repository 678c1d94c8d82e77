"""The ./dev entry point: its help, and its message when Odoo's source is missing."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scratch_dev(dev, tmp_path):
    """./dev in a scratch run folder: whatever the script gets to do, .run/ is left alone."""

    def run(*args, **env):
        return dev(*args, env={"SALES_ROLES_RUN": str(tmp_path / "run"), **env}, timeout=60, check=False)

    return run


def test_help(scratch_dev):
    proc = scratch_dev("help")
    assert proc.returncode == 0, proc.stderr
    for command in ("demo", "test", "stop", "lint"):
        assert command in proc.stdout


def test_missing_odoo_source(scratch_dev, tmp_path):
    proc = scratch_dev("test", ODOO_SRC="/nonexistent")
    assert proc.returncode != 0
    assert "ODOO_SRC" in proc.stderr
    assert "18.0" in proc.stderr
    assert not (tmp_path / "run").exists()
