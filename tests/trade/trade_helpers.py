"""Small file writers shared by the trade tests (BACI-format CSVs and country-code files)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

# The root tests/conftest.py, loaded under its own name (this folder has a conftest.py too).
_spec = importlib.util.spec_from_file_location(
    "_chainatlas_tests_root_conftest", Path(__file__).resolve().parents[1] / "conftest.py"
)
_root = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_root)
require_shared = _root.require_shared


def write_baci(path: Path, rows: list[tuple], header: str = "t,i,j,k,v,q") -> Path:
    """A small BACI-format CSV (values in thousands of USD)."""
    lines = [header] + [",".join(str(c) for c in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_country_codes(path: Path, codes: dict[int, str]) -> Path:
    lines = [
        "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso_3digit_alpha"
    ]
    lines += [f"{code},{iso},{iso},{iso[:2]},{iso}" for code, iso in codes.items()]
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    return path
