"""./dev lint catches what it is there for: the project's hooks, run by pre-commit
on a scratch repository with the project's lint configuration and a small addon
written wrong on purpose.

The hook environments are pre-commit's cache, shared with ./dev lint (built once,
from PyPI and npm); every hook is a local one, so nothing comes from a git host.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILES = (".pre-commit-config.yaml", "pyproject.toml", ".pylintrc", "prettier.config.cjs")

BAD_FILES = {
    # ruff: an unused import (F401); ruff-format: the spacing
    "tools/bad.py": "import os\n\n\ndef f( x ):\n    return x\n",
    # pylint-odoo (on sales_roles/ only): another author, a license and a series the
    # project does not allow, string-built SQL, a commit
    "sales_roles/__manifest__.py": (
        '{"name": "Bad", "version": "17.0.1.0.0", "author": "Someone Else", "license": "OPL-1"}\n'
    ),
    "sales_roles/__init__.py": "from . import models\n",
    "sales_roles/models/__init__.py": "from . import bad_model\n",
    "sales_roles/models/bad_model.py": (
        "from odoo import models\n\n\n"
        "class ResPartner(models.Model):\n"
        '    _inherit = "res.partner"\n\n'
        "    def _bad(self, name):\n"
        "        self.env.cr.execute(\"SELECT id FROM res_partner WHERE name = '%s'\" % name)\n"
        "        self.env.cr.commit()\n"
    ),
    # prettier (XML plugin): one long unformatted line
    "sales_roles/views/bad_views.xml": (
        '<?xml version="1.0" encoding="utf-8"?>\n<odoo><record id="bad_view" model="ir.ui.view">'
        '<field name="name">bad</field><field name="model">res.partner</field></record></odoo>\n'
    ),
}


def _pre_commit(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def lint_output(tmp_path_factory):
    """What `pre-commit run --all-files` reports on the scratch repository."""
    repo = tmp_path_factory.mktemp("lint")
    for name in CONFIG_FILES:
        shutil.copy(ROOT / name, repo / name)
    for name, text in BAD_FILES.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    proc = _pre_commit("run", "--all-files", cwd=repo)
    assert proc.returncode != 0, "the hooks passed files written wrong on purpose:\n" + proc.stdout
    return repo, proc.stdout + proc.stderr


def test_hooks_are_local_and_pinned():
    from pre_commit.clientlib import load_config

    config = load_config(ROOT / ".pre-commit-config.yaml")
    assert config["repos"], "no hook repository"
    for repo in config["repos"]:
        assert repo["repo"] == "local", f"{repo['repo']} would be fetched from a git host"
        for hook in repo["hooks"]:
            deps = hook["additional_dependencies"]
            assert deps, f"{hook['id']}: its tool must come from additional_dependencies"
            assert hook["language"] in ("python", "node"), hook["id"]
            pin = r".+==\S+" if hook["language"] == "python" else r".+@\d\S*"
            assert all(re.fullmatch(pin, dep) for dep in deps), f"{hook['id']}: unpinned {deps}"


def test_ruff_reports_and_formats(lint_output):
    repo, out = lint_output
    assert "F401" in out and "tools/bad.py" in out, out
    assert "def f(x):" in (repo / "tools/bad.py").read_text(), "ruff-format did not format"


def test_pylint_odoo_runs_the_mandatory_checks(lint_output):
    _repo, out = lint_output
    for message in (
        "manifest-required-author",
        "license-allowed",
        "manifest-version-format",
        "sql-injection",
        "invalid-commit",
    ):
        assert message in out, f"pylint-odoo did not report {message}:\n{out}"


def test_prettier_formats_xml(lint_output):
    repo, _out = lint_output
    xml = (repo / "sales_roles/views/bad_views.xml").read_text()
    assert '\n    <record id="bad_view" model="ir.ui.view">\n' in xml, xml
