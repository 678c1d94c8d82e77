"""The pre-commit configuration (./dev lint) needs no git host: local hooks, pinned tools."""

import configparser
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _hooks():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert config["repos"], "no hook repository"
    for repo in config["repos"]:
        assert repo["repo"] == "local", f"{repo['repo']} would be fetched from the network"
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_hooks_are_local_and_pinned():
    hooks = _hooks()
    assert {"ruff", "ruff-format", "pylint-odoo", "prettier"} <= hooks.keys()
    for hook_id, hook in hooks.items():
        assert hook["language"] in ("python", "node"), hook_id
        deps = hook.get("additional_dependencies")
        assert deps, f"{hook_id}: its tool must come from additional_dependencies"
        pin = r".+==\S+" if hook["language"] == "python" else r".+@\d\S*"
        assert all(re.fullmatch(pin, dep) for dep in deps), f"{hook_id}: unpinned {deps}"


def test_prettier_formats_xml_with_its_plugin():
    hook = _hooks()["prettier"]
    assert any(dep.startswith("@prettier/plugin-xml@") for dep in hook["additional_dependencies"])
    assert "xml" in hook.get("types", []) + hook.get("types_or", [])
    assert "@prettier/plugin-xml" in (ROOT / "prettier.config.cjs").read_text()


def test_pylint_odoo_runs_the_mandatory_checks_for_18():
    hook = _hooks()["pylint-odoo"]
    assert any(dep.startswith("pylint-odoo==") for dep in hook["additional_dependencies"])
    assert "--valid-odoo-versions=18.0" in hook["args"]
    assert "--rcfile=.pylintrc" in hook["args"]
    assert re.match(hook["files"], "sales_roles/models/x.py")

    rc = configparser.ConfigParser()
    rc.read(ROOT / ".pylintrc")
    assert rc["MASTER"]["load-plugins"] == "pylint_odoo"
    assert rc["ODOOLINT"]["valid-odoo-versions"] == "18.0"
    assert rc["MESSAGES CONTROL"]["disable"] == "all"
    enabled = {m.strip() for m in rc["MESSAGES CONTROL"]["enable"].split(",")}
    assert {"manifest-required-author", "license-allowed", "sql-injection", "invalid-commit"} <= enabled
    # the author the manifest check demands is this project's, not OCA's
    assert rc["ODOOLINT"]["manifest-required-authors"] == "Sales Roles developers"
