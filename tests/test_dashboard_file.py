"""The shipped dashboard spreadsheet is the one tools/gen_dashboard.py writes."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_dashboard_file_is_up_to_date():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_dashboard.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_dashboard_terms_are_extracted_for_translation():
    """Odoo exports the terms of data/**/*_dashboard.json files: the labels are there."""
    path = ROOT / "sales_roles" / "data" / "files" / "hunters_farmers_dashboard.json"
    assert path.name.endswith("_dashboard.json")
    text = path.read_text()
    data = json.loads(text)
    assert '=_t(\\"Hunter Conversion\\")' in text
    assert {f["label"] for f in data["globalFilters"]} == {"Period", "Sales Team", "Salesperson"}
