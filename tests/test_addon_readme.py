"""The addon's readme/ fragments and icon, from which README.rst is generated
(tests/test_generated_files.py keeps README.rst in step)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_fragments_and_icon_exist():
    addon = ROOT / "sales_roles"
    for name in ("DESCRIPTION.md", "CONFIGURE.md", "USAGE.md", "CONTRIBUTORS.md"):
        assert (addon / "readme" / name).read_text().strip(), name
    assert (addon / "static" / "description" / "icon.png").read_bytes().startswith(b"\x89PNG")
