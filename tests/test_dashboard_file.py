"""The shipped dashboard spreadsheet's terms reach the translations (the file
itself is held to tools/gen_dashboard.py by tests/test_generated_files.py)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_dashboard_terms_are_extracted_for_translation():
    """Odoo exports the terms of data/**/*_dashboard.json files: the labels are there."""
    path = ROOT / "sales_roles" / "data" / "files" / "hunters_farmers_dashboard.json"
    assert path.name.endswith("_dashboard.json")
    text = path.read_text()
    data = json.loads(text)
    assert '=_t(\\"Hunter Conversion\\")' in text
    assert {f["label"] for f in data["globalFilters"]} == {"Period", "Sales Team", "Salesperson"}
