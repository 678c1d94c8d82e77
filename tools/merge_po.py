"""Brings sales_roles/i18n/*.po in line with sales_roles/i18n/sales_roles.pot.

New terms are added untranslated, terms gone from the template are dropped and
the locations and comments are refreshed; existing translations are kept.
Run by `./dev pot` after Odoo exported the template. Uses polib (one of Odoo's
own requirements), so no gettext tools are needed.
"""

import sys
from pathlib import Path

import polib

I18N = Path(__file__).resolve().parents[1] / "sales_roles" / "i18n"


def merge(po_path, pot):
    po = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
    old = {(entry.msgctxt, entry.msgid): entry for entry in po}
    merged = polib.POFile(wrapwidth=po.wrapwidth or 78)
    merged.metadata = po.metadata or dict(pot.metadata)
    merged.header = pot.header
    for template in pot:
        entry = polib.POEntry(
            msgid=template.msgid,
            msgctxt=template.msgctxt,
            occurrences=template.occurrences,
            comment=template.comment,
            tcomment=template.tcomment,
            flags=list(template.flags),
        )
        previous = old.get((template.msgctxt, template.msgid))
        if previous and previous.msgstr:
            entry.msgstr = previous.msgstr
        merged.append(entry)
    merged.save(str(po_path))
    untranslated = [entry.msgid for entry in merged if not entry.msgstr]
    return len(merged), untranslated


def main():
    pot = polib.pofile(str(I18N / "sales_roles.pot"))
    status = 0
    for po_path in sorted(I18N.glob("*.po")):
        total, untranslated = merge(po_path, pot)
        print(f"{po_path.name}: {total} terms, {len(untranslated)} untranslated")
        if untranslated:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
