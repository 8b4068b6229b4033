"""Helpers for HS-code tariff tests: a small HS17 trade store and coverage by hand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(os.environ.get("CHAINATLAS_SHARED", Path(__file__).resolve().parents[3] / "shared"))

# (HS17 line, CHN->USA value, CHN->DEU value), thousand USD as BACI writes them
LINES = [("847130", 600.0, 200.0), ("847150", 400.0, 0.0), ("870323", 1000.0, 100.0),
         ("870899", 500.0, 0.0), ("100199", 50.0, 0.0), ("940360", 300.0, 0.0)]  # fmt: skip
CODES = {"CHN": 156, "USA": 842, "DEU": 276, "ROW": 999}


def shared(relative: str) -> Path:
    path = SHARED / relative
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"shared data missing: {path}")
        pytest.skip(f"shared data missing: {path}")
    return path


def build_store(folder: Path, concordances: Path, year: int = 2011) -> Path:
    """A BACI-format HS17 file of ``LINES`` loaded into a new store; returns trade.duckdb."""
    from chainatlas.trade.store import TradeStore

    src = folder / "baci"
    src.mkdir(parents=True)
    rows = ["t,i,j,k,v,q"]
    for hs6, to_usa, to_deu in LINES:
        rows.append(f"{year},156,842,{hs6},{to_usa},1")
        if to_deu:
            rows.append(f"{year},156,276,{hs6},{to_deu},1")
    (src / f"BACI_HS17_Y{year}_V202301.csv").write_text("\n".join(rows) + "\n")
    header = "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,iso3"
    codes = [header.replace("iso3", "iso_3digit_alpha")]
    codes += [f"{n},{c},{c},{c[:2]},{c}" for c, n in CODES.items()]
    (src / "country_codes_V202301.csv").write_bytes(("\n".join(codes) + "\n").encode("latin-1"))
    db = folder / "store" / "trade.duckdb"
    store = TradeStore(db)
    try:
        store.load("baci", src, concordances=concordances)
    finally:
        store.close()
    return db


def hand_coverage(codes: list[str], sector_of: dict[str, str], column: int) -> dict[str, float]:
    """Σ listed value / Σ value by sector of one pair, from ``LINES`` (prefix match)."""
    covered: dict[str, float] = {}
    total: dict[str, float] = {}
    for line in LINES:
        value = line[column]
        if not value:
            continue
        sector = sector_of[line[0]]
        total[sector] = total.get(sector, 0.0) + value
        if any(line[0].startswith(code) for code in codes):
            covered[sector] = covered.get(sector, 0.0) + value
    return {s: covered.get(s, 0.0) / total[s] for s in total}
