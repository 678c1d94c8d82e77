"""The ./dev entry point: its help, and its message when Odoo's source is missing."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def scratch_dev(dev, tmp_path):
    """./dev in a scratch run folder: whatever the script gets to do, .run/ is left alone."""

    def run(*args, **env):
        return dev(*args, env={"SALES_ROLES_RUN": str(tmp_path / "run"), **env}, timeout=60, check=False)

    return run


def _commands():
    """The commands the script dispatches: the words of its final `case`."""
    script = (ROOT / "dev").read_text()
    dispatch = script[script.rindex("case $cmd in") :]
    commands = set()
    for pattern in re.findall(r"^\s+([\w| -]+)\)", dispatch, re.MULTILINE):
        commands.update(word.strip() for word in pattern.split("|"))
    return commands - {"*", "-h", "--help"}


def test_help(scratch_dev):
    proc = scratch_dev("help")
    assert proc.returncode == 0, proc.stderr
    for command in ("demo", "test", "stop", "lint"):
        assert command in proc.stdout


def test_every_command_is_documented(scratch_dev):
    commands = _commands()
    assert {"demo", "test", "setup", "help"} <= commands, commands
    usage = scratch_dev("help").stdout
    listed = set(re.findall(r"^  ([a-z]+)\b", usage, re.MULTILINE))
    assert listed == commands, f"./dev help lists {sorted(listed)}, the script runs {sorted(commands)}"
    header = (ROOT / "dev").read_text().partition("\nset ")[0]
    in_header = set(re.findall(r"^#   ([a-z]+) ", header, re.MULTILINE))
    assert in_header == commands, f"the header of ./dev lists {sorted(in_header)}, it runs {sorted(commands)}"
    readme = (ROOT / "README.md").read_text()
    in_readme = set(re.findall(r"^\| `\./dev ([a-z]+)", readme, re.MULTILINE))
    assert in_readme == commands, f"README's command table: {sorted(in_readme)}, ./dev: {sorted(commands)}"


def test_missing_odoo_source(scratch_dev, tmp_path):
    proc = scratch_dev("test", ODOO_SRC="/nonexistent")
    assert proc.returncode != 0
    assert "ODOO_SRC" in proc.stderr
    assert "18.0" in proc.stderr
    assert not (tmp_path / "run").exists()
