"""Tariff lists given as HS codes: sector coverage computed from the trade store.

A tariff rate entry may list ``hs_codes`` (HS6 lines, or HS2/HS4 prefixes, as published
tariff lists are; HS8/HS10 lines are truncated to HS6) instead of a hand-set ``coverage``.
For each exporter -> importer pair the coverage of a table sector is

    coverage_s = Σ_{listed HS6 lines h in s} trade_h / Σ_{all HS6 lines h in s} trade_h

with trade from the store (one year, one HS vintage) mapped to the table's sectors by
:class:`chainatlas.trade.bridge.ProductSectorBridge` (HS -> ISIC -> WIOD35/ADB35/ICIO45,
trade-weighted). The applied rate on the flow is rate × coverage_s. A pair without any
flow in the store cannot give a coverage: that is an error naming the pair (or, with
``missing_trade = "skip"``, a one-line note and no tariff on the pair), never a silent 0.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError

HS_FILE_COLUMNS = ("hs_code", "hs", "code", "hts")


@dataclass(frozen=True)
class TradeSpec:
    """The ``[trade]`` section of a scenario: where HS-code coverage comes from."""

    store: str | None = None  # trade.duckdb (relative paths: to the scenario file)
    year: int | None = None  # trade year; default: the table's year
    vintage: str | None = None  # HS vintage in the store; default: the store's only one
    concordances: str | None = None  # concordance directory; default: the usual lookup
    wiod_dir: str | None = None  # WIOD 2013 directory (ISIC -> WIOD); default: the table's


def read_hs_file(path: Path) -> list[str]:
    """HS codes from a list file: one code per line, or a CSV with an ``hs_code`` column.

    Lines starting with ``#`` are comments. Codes keep their leading zeros (text).
    """
    from chainatlas.trade.bridge import normalise_hs_codes

    if not path.is_file():
        raise ChainAtlasError("HS code list file not found", path=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ChainAtlasError(f"cannot read the HS code list ({exc})", path=str(path)) from None
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise ChainAtlasError("the HS code list is empty", path=str(path))
    if "," in lines[0]:
        reader = csv.DictReader(io.StringIO("\n".join(lines)))
        header = {name.strip().lower(): name for name in reader.fieldnames or []}
        column = next((header[c] for c in HS_FILE_COLUMNS if c in header), None)
        if column is None:
            raise ChainAtlasError(
                f"no HS code column: expected one of {', '.join(HS_FILE_COLUMNS)} in the header",
                path=str(path),
            )
        codes = [str(row[column]).strip() for row in reader if str(row[column] or "").strip()]
    else:
        codes = [line.split()[0] for line in lines]
    for number, code in enumerate(codes, 1):
        try:
            normalise_hs_codes([code])
        except ChainAtlasError as exc:
            raise ChainAtlasError(f"{exc} (code {number} of the list)", path=str(path)) from None
    return codes


def bridge_system(model: MRIOModel) -> str:
    """The bridge's sector system for a table source (wiod2013, adb, icio)."""
    source = model.source.lower()
    if source.startswith("wiod2013"):
        return "wiod2013"
    if source.startswith("adb"):
        return "adb"
    if source.startswith("icio") or source.startswith("oecd"):
        return "icio"
    raise ChainAtlasError(
        f"HS-code tariff lists need an HS -> sector bridge, which exists for WIOD 2013, ADB "
        f"MRIO and OECD ICIO tables, not for {model.source!r}; give coverage by sector instead"
    )


def table_dir(source: str, path: str | os.PathLike[str] | None) -> str | None:
    """The directory of a source's tables (where WIOD keeps its ISIC concordance), or None."""
    from chainatlas.sources.paths import resolve_path

    try:
        found = resolve_path(source, path)
    except ChainAtlasError:
        return None
    return str(found if found.is_dir() else found.parent)


_BRIDGES: dict[tuple, Any] = {}  # ProductSectorBridge per (store, year, pairs, ...)


def _bridge(trade: TradeSpec, model: MRIOModel, exporters: Sequence[str],
            importers: Sequence[str]) -> Any:  # fmt: skip
    """The store's flows of the pairs mapped to the table's sectors (cached per run inputs)."""
    from chainatlas.trade.bridge import ProductSectorBridge
    from chainatlas.trade.concordances import resolve_dir
    from chainatlas.trade.store import TradeStore

    if not trade.store:
        raise ChainAtlasError(
            'hs_codes need a trade store: add store = "path/trade.duckdb" to [trade] (or '
            "pass --trade-store); build one with 'chainatlas trade load'"
        )
    path = Path(trade.store).expanduser()
    if not path.is_file():
        raise ChainAtlasError("trade store not found (needed for hs_codes)", path=str(path))
    system = bridge_system(model)
    wiod_dir = trade.wiod_dir
    if system == "wiod2013" and wiod_dir is None:
        wiod_dir = table_dir(model.source, None)
    try:
        concordances = str(resolve_dir(trade.concordances))
    except ChainAtlasError as exc:
        looked = str(exc).split("(looked in", 1)[-1].rstrip(")")
        raise ChainAtlasError(
            "hs_codes need the HS concordance directory (unsd_hs_bec/, unsd_hs_conversion/, "
            'adb_mrio_team/): add concordances = "DIR" to [trade] or set '
            f"CHAINATLAS_CONCORDANCES (looked in{looked})"
        ) from None
    year = int(trade.year if trade.year is not None else model.year)
    key = (str(path.resolve()), path.stat().st_mtime_ns, year, trade.vintage, system,
           concordances, wiod_dir, tuple(model.sectors) if system == "icio" else (),
           tuple(sorted(exporters)), tuple(sorted(importers)))  # fmt: skip
    if key not in _BRIDGES:
        store = TradeStore(path, read_only=True)
        try:
            _BRIDGES[key] = ProductSectorBridge.build(
                store, year, system=system, vintage=trade.vintage, concordance_dir=concordances,
                wiod_dir=wiod_dir, sectors=list(model.sectors),
                exporters=list(exporters), importers=list(importers),
            )  # fmt: skip
        finally:
            store.close()
        if len(_BRIDGES) > 16:
            _BRIDGES.pop(next(iter(_BRIDGES)))
    return _BRIDGES[key]


@dataclass
class HSCoverage:
    """Sector coverage of one HS list on exporter -> importer pairs."""

    table: pd.DataFrame  # exporter, importer, sector, covered, total, coverage, n_lines
    missing_pairs: list[tuple[str, str]]
    year: int
    vintage: str
    store: str


def hs_coverage(
    trade: TradeSpec,
    model: MRIOModel,
    exporters: Sequence[str],
    importers: Sequence[str],
    hs_codes: Sequence[str],
) -> HSCoverage:
    """Coverage of ``hs_codes`` in every pair's trade by table sector (see module doc)."""
    bridge = _bridge(trade, model, exporters, importers)
    table = bridge.coverage(list(hs_codes), exporters=list(exporters), importers=list(importers))
    table = table[table["sector"].isin(model.sectors)].reset_index(drop=True)
    traded = set(zip(table.loc[table["total"] > 0, "exporter"],
                     table.loc[table["total"] > 0, "importer"], strict=True))  # fmt: skip
    missing = [(e, m) for e in exporters for m in importers if e != m and (e, m) not in traded]
    return HSCoverage(table, missing, bridge.year, bridge.vintage, str(trade.store))


def coverage_note(label: str, n_codes: int, cov: HSCoverage, top: int = 5) -> str:
    """One line: what the list covers, from which data."""
    t = cov.table
    covered, total = float(t["covered"].sum()), float(t["total"].sum())
    share = 100 * covered / total if total > 0 else 0.0
    best = t.groupby("sector")[["covered", "total"]].sum()
    best = (best["covered"] / best["total"]).where(best["total"] > 0).dropna()
    best = best[best > 0].sort_values(ascending=False).head(top)
    tops = ", ".join(f"{s} {v:.3f}" for s, v in best.items()) or "none"
    return (
        f"{label}: {n_codes} HS code(s) cover {covered:,.0f} of {total:,.0f} USD goods trade "
        f"of the pair(s) ({share:.2f}%; {cov.vintage} {cov.year}, trade store {cov.store}); "
        f"highest sector coverage: {tops} (table tariff_coverage)"
    )
