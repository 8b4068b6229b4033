"""What a result means, attached to it: ``attrs`` of result frames and human names of codes.

``describe_result(frame, model, method=…)`` fills ``frame.attrs`` (units, table, release, year,
method, notes); ``add_names(frame, lang)`` adds ``<column>_name`` columns for the economy and
sector code columns (English or Chinese names from ``chainatlas/data``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from chainatlas.data import read_csv

ECONOMY_COLUMNS = ("country", "exporter", "importer", "origin", "source", "user", "partner")
SECTOR_COLUMNS = ("sector",)


@lru_cache(maxsize=1)
def _strings() -> pd.DataFrame:
    return read_csv("report_strings.csv", dtype=str, keep_default_na=False).set_index("key")


@lru_cache(maxsize=1)
def _countries() -> dict[str, dict[str, str]]:
    table = read_csv("names_countries.csv", dtype=str, keep_default_na=False)
    return {
        lang: dict(zip(table["iso3"], table[f"name_{lang}"], strict=True)) for lang in ("en", "zh")
    }


@lru_cache(maxsize=1)
def _sectors() -> dict[str, dict[str, str]]:
    english = read_csv("sectors_wiod2013.csv", dtype=str, keep_default_na=False)
    chinese = read_csv("names_sectors_wiod2013_zh.csv", dtype=str, keep_default_na=False)
    merged = english.merge(chinese, on="code", how="left").fillna("")
    return {
        lang: dict(zip(merged["code"], merged[f"name_{lang}"], strict=True))
        for lang in ("en", "zh")
    }


def release_label(source: str) -> str:
    """'WIOD world input-output tables, 2013 release' (the source code when unknown)."""
    key = f"source.{source.lower()}"
    table = _strings()
    return table.at[key, "en"] if key in table.index else source


def describe_result(
    frame: pd.DataFrame,
    model: Any,
    *,
    method: str,
    level: str | None = None,
    notes: Iterable[str] = (),
) -> pd.DataFrame:
    """Attach units, table, release, year, method, level and notes to ``frame.attrs``."""
    frame.attrs.update(
        {
            "units": getattr(model, "units", ""),
            "table": getattr(model, "source", ""),
            "release": release_label(str(getattr(model, "source", ""))),
            "year": getattr(model, "year", None),
            "method": method,
            "level": level,
            "notes": [*frame.attrs.get("notes", []), *notes],
        }
    )
    return frame


def add_names(frame: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """A copy with ``<column>_name`` after each economy or sector code column present."""
    if lang not in ("en", "zh"):
        raise ValueError(f"unknown language {lang!r}; choose en or zh")
    out = frame.copy()
    for column in list(frame.columns):
        if column in ECONOMY_COLUMNS:
            mapping = _countries()[lang]
        elif column in SECTOR_COLUMNS:
            mapping = _sectors()[lang]
        else:
            continue
        names = out[column].map(lambda c, m=mapping: m.get(c) or c)
        out.insert(out.columns.get_loc(column) + 1, f"{column}_name", names)
    out.attrs = dict(frame.attrs)
    return out


SOURCE_NOTE = "chainatlas_source.json"  # what a results folder was computed from (the atlas)


def write_source_note(directory: str | Path, source: str, years: Sequence[int]) -> Path:
    """Record the table, release and years of the results in ``directory`` (atomically)."""
    from chainatlas.util.files import atomic_write

    years = sorted(years)
    note = {
        "table": source,
        "release": release_label(source),
        "year": f"{years[0]}–{years[-1]}" if len(years) > 1 else (years[0] if years else None),
    }
    text = json.dumps(note, ensure_ascii=False, indent=1)
    return atomic_write(Path(directory) / SOURCE_NOTE, lambda tmp: tmp.write_text(text, "utf-8"))
