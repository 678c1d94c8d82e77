"""The addon's README.rst is generated from its readme/ fragments and kept in step."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_addon_readme_is_up_to_date():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_addon_readme.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_readme_fragments_and_icon_exist():
    addon = ROOT / "sales_roles"
    for name in ("DESCRIPTION.md", "CONFIGURE.md", "USAGE.md", "CONTRIBUTORS.md"):
        assert (addon / "readme" / name).read_text().strip(), name
    assert (addon / "static" / "description" / "icon.png").read_bytes().startswith(b"\x89PNG")
