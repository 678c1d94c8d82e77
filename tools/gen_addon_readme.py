"""Writes sales_roles/README.rst from the readme/ fragments (as OCA's tooling does).

    python tools/gen_addon_readme.py          # write it
    python tools/gen_addon_readme.py --check  # exit 1 when it is out of date

The fragments are Markdown written in the subset that is also valid
reStructuredText (paragraphs, "- " lists, **bold**, numbered lists), plus
tables, converted to list-tables; "## " headings become section titles.
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


def md_tables_to_rst(text):
    """Markdown tables become reStructuredText list-tables; the rest is kept."""
    out, rows = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= {"-", ":"} for cell in cells):
                rows.append(cells)
            continue
        if rows:
            out += [".. list-table::", "   :header-rows: 1", ""]
            for row in rows:
                # a lone "-" would start a nested list: escape it
                row = ["\\-" if cell == "-" else cell for cell in row]
                # no trailing blanks: the whitespace hook would strip them
                out.append(("   * - " + row[0]).rstrip())
                out += [f"     - {cell}".rstrip() for cell in row[1:]]
            out.append("")
            rows = []
        if line.startswith("## "):
            title = line[3:].strip()
            out += [title, "-" * len(title)]
            continue
        out.append(line)
    return "\n".join(out).rstrip()


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
        out += [md_tables_to_rst(path.read_text()), ""]
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
