"""Files written by a generator in tools/ are shipped as the generator writes them:
change the generator (or its sources), not the file."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "generator",
    [
        "gen_addon_readme.py",  # sales_roles/README.rst from sales_roles/readme/*.md
        "gen_dashboard.py",  # the Hunters & Farmers dashboard spreadsheet
    ],
)
def test_generated_file_is_up_to_date(generator):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / generator), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
