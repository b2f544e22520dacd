"""Architecture rules as tests: the library stays free of the UI; everything is documented."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mapdata
from mapdata import config, schema

_LIBRARY = Path(mapdata.__file__).parent


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


def _imported_from(module: str) -> dict[str, set[str]]:
    """Library module → the names ``module`` (a module or a package) imports from it, wherever in
    its files (lazy imports too); "*" for the module itself."""
    path = _LIBRARY / module
    files = [path.with_suffix(".py")] if path.with_suffix(".py").is_file() else sorted(path.rglob("*.py"))
    imported: dict[str, set[str]] = {}
    for file in files:
        package = ["mapdata", *file.relative_to(_LIBRARY).parent.parts]
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
                source = ".".join(p for p in (base, node.module) if p)
                for alias in node.names:
                    if node.module is None:
                        imported.setdefault(f"{source}.{alias.name}", set()).add("*")
                    else:
                        imported.setdefault(source, set()).add(alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    imported.setdefault(alias.name, set()).add("*")
    return {name.removeprefix("mapdata."): names for name, names in imported.items() if name.startswith("mapdata.")}


def test_later_stages_take_names_and_credits_from_their_own_modules():
    """Name folding, country and region look-ups (names.py) and attributions (credits.py) do not
    pull the spatial join or the boundary builder into geocode, filters, stats and export. The one
    exception: the geocoder reads the shipped regions layer when it is not given one."""
    allowed = {"geocode": {"geo": {"load_regions"}}}
    for module in ("geocode", "filters", "stats", "export"):
        imported = _imported_from(module)
        for stage in ("join", "geo"):
            assert imported.get(stage, set()) <= allowed.get(module, {}).get(stage, set()), \
                f"{module}.py imports {sorted(imported[stage])} from {stage}.py"


def test_every_library_module_is_in_the_readme_layout(repo_root):
    """The README's layout names every module of the library (a package's modules by file name)."""
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout and architecture"):readme.index("### How to add")]
    modules = [p for p in _LIBRARY.rglob("*.py") if not p.name.startswith("_")]
    missing = [str(p.relative_to(_LIBRARY)) for p in modules if p.name not in layout]
    assert not missing, f"README 'Layout and architecture' lacks {missing}"
