"""The repository root builds the wheel odoo_addon_sales_roles (setup.py, setuptools-odoo)."""

import ast
import email.parser
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
ADDON = "sales_roles"
PREFIX = f"odoo/addons/{ADDON}/"


def _pip(*args):
    proc = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _manifest():
    return ast.literal_eval((ROOT / ADDON / "__manifest__.py").read_text())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT))
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel_names(wheel):
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def test_layout_symlink():
    link = ROOT / "odoo" / "addons" / ADDON
    assert link.is_symlink()
    assert not Path(link.readlink()).is_absolute()
    assert link.resolve() == (ROOT / ADDON).resolve()
    # a namespace directory only: a regular package here would shadow Odoo's own `odoo`
    assert not (ROOT / "odoo" / "__init__.py").exists()
    assert not (ROOT / "odoo" / "addons" / "__init__.py").exists()


def test_wheel_name_and_version(wheel):
    name, version = wheel.name.split("-")[:2]
    assert name == "odoo_addon_sales_roles"
    assert version.startswith(_manifest()["version"])


def test_wheel_contains_the_addon(wheel_names):
    manifest = _manifest()
    expected = {"__manifest__.py", "__init__.py", *manifest.get("data", []), *manifest.get("demo", [])}
    missing = sorted(f for f in expected if PREFIX + f not in wheel_names)
    assert not missing, f"not in the wheel: {missing}"
    # the addon is shipped once, under odoo/addons, without bytecode
    assert not [n for n in wheel_names if n.startswith(f"{ADDON}/")]
    assert not [n for n in wheel_names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert "odoo/__init__.py" not in wheel_names
    assert "odoo/addons/__init__.py" not in wheel_names


def test_wheel_requires_odoo_18(wheel):
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.parser.HeaderParser().parsestr(zf.read(meta_name).decode())
    requirements = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    odoo = [r for r in requirements if r.name == "odoo"]
    assert len(odoo) == 1, requirements
    spec = odoo[0].specifier
    assert spec.contains("18.0") and spec.contains("18.0.20250101", prereleases=True)
    assert not spec.contains("17.0") and not spec.contains("19.0")


def test_wheel_installs_under_odoo_addons(wheel, tmp_path):
    target = tmp_path / "site"
    _pip("install", "--no-deps", "--no-index", "--target", str(target), str(wheel))
    installed = target / "odoo" / "addons" / ADDON
    assert not installed.is_symlink()
    assert (installed / "__manifest__.py").read_text() == (ROOT / ADDON / "__manifest__.py").read_text()
    for rel in ["__init__.py", *_manifest().get("data", [])]:
        assert (installed / rel).is_file(), rel
    assert not (target / ADDON).exists()
