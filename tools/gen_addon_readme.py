"""Writes sales_roles/README.rst from the readme/ fragments (as OCA's tooling does).

    python tools/gen_addon_readme.py          # write it
    python tools/gen_addon_readme.py --check  # exit 1 when it is out of date

The fragments are Markdown written in the subset that is also valid
reStructuredText (paragraphs, "- " lists, **bold**, numbered lists).
"""

import ast
import sys
from pathlib import Path

ADDON = Path(__file__).resolve().parents[1] / "sales_roles"
SECTIONS = [
    ("DESCRIPTION.md", None),
    ("CONFIGURE.md", "Configuration"),
    ("USAGE.md", "Usage"),
    ("CONTRIBUTORS.md", "Contributors"),
]


def render():
    manifest = ast.literal_eval((ADDON / "__manifest__.py").read_text())
    title = manifest["name"]
    out = ["=" * len(title), title, "=" * len(title), "", f"*{manifest['summary']}*", ""]
    out += [f"Version {manifest['version']}, license {manifest['license']}, by {manifest['author']}.", ""]
    out += [".. contents::", "   :local:", ""]
    for filename, heading in SECTIONS:
        path = ADDON / "readme" / filename
        if not path.exists():
            continue
        if heading:
            out += [heading, "=" * len(heading), ""]
        out += [path.read_text().rstrip(), ""]
    return "\n".join(out)


def main():
    target = ADDON / "README.rst"
    text = render()
    if "--check" in sys.argv:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is out of date: run python tools/gen_addon_readme.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
