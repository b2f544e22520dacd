"""Architecture rules as tests: the library stays free of the UI; everything is documented."""

from __future__ import annotations

import subprocess
import sys

from mapdata import config, schema


def test_import_mapdata_does_not_import_streamlit():
    code = "import sys, mapdata, mapdata.cli, mapdata.layers; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_column_is_in_the_readme_data_dictionary(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    missing = [c.name for c in schema.COLUMNS if f"`{c.name}`" not in readme]
    assert not missing, f"README data dictionary lacks {missing}"


def test_every_setting_is_documented_in_the_readme(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in config.SETTINGS if f"MAPDATA_{s.name}" not in readme]
    assert not missing, f"README configuration table lacks {missing}"


def test_cli_and_module_entry_point_print_help():
    for cmd in ([sys.executable, "-m", "mapdata", "--help"], [sys.executable, "-m", "mapdata", "export", "--help"]):
        out = subprocess.run(cmd, capture_output=True, text=True)
        assert out.returncode == 0 and "usage:" in out.stdout
