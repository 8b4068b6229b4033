"""The tables a report is drawn from, one year of one MRIO table at a time.

Everything here is a pure function of an :class:`MRIOModel` and returns tidy DataFrames, so the
charts can be checked against the numbers they show. The indicators are those of
``chainatlas.indicators`` (participation, length, linkage, network, dependence) and
``chainatlas.core.value_added`` (VA content of exports, VA trade), never re-derived here.

:class:`ReportCache` keeps the per-year tables as Parquet under a cache directory keyed by the
source, the data files' fingerprint and a version number, so rebuilding a report is fast.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.core.model import MRIOModel
from chainatlas.core.value_added import foreign_va_in_exports, gdp, va_trade_matrix

# Bump when any table's definition changes: old cache entries are then ignored.
CACHE_VERSION = 2

YEAR_TABLES = ("country", "fva_origin", "va_trade", "linkage", "network", "dependence")


# ----------------------------------------------------------------------------- country table
PARTICIPATION_COLUMNS = (
    "gvc_forward",
    "gvc_forward_simple",
    "gvc_forward_complex",
    "gvc_backward",
    "gvc_backward_simple",
    "gvc_backward_complex",
)
LENGTH_COLUMNS = ("plv", "ply", "plv_gvc", "ply_gvc", "gvc_position")


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        safe = np.where(denominator != 0, denominator, 1.0)
        return np.where(denominator != 0, numerator / safe, np.nan)


def _country_level(frame: pd.DataFrame, wanted: tuple[str, ...]) -> pd.DataFrame:
    rows = frame[(frame["level"] == "country") & frame["indicator"].isin(wanted)]
    return rows.pivot(index="country", columns="indicator", values="value")[list(wanted)]


def country_table(model: MRIOModel) -> pd.DataFrame:
    """One row per country: exports and their VA content, WWYZ participation, lengths, position.

    exports = e_s*; dva = v_s B_ss e_s* (TiVA domestic VA content, METHODS §4.1, the diagonal
    of DEXFVAP); fva = exports − dva; gdp; vax (§3). Participation (§5) and production lengths
    and the GVC position index (§6.1) are the country rows of the indicator sets
    (:func:`chainatlas.indicators.participation.production_participation`,
    :func:`chainatlas.indicators.length.production_length`), so the report shows exactly the
    numbers of ``chainatlas indicators``.
    """
    from chainatlas.indicators.length import production_length
    from chainatlas.indicators.participation import production_participation

    codes = list(model.countries)
    exports = model.total_exports.reshape(model.G, model.N).sum(axis=1)
    dva = np.diag(foreign_va_in_exports(model)).copy()
    T = va_trade_matrix(model)
    frame = pd.DataFrame(
        {
            "year": model.year,
            "country": codes,
            "exports": exports,
            "dva": dva,
            "fva": exports - dva,
            "dva_share": _ratio(dva, exports),
            "fva_share": _ratio(exports - dva, exports),
            "gdp": gdp(model),
            "vax": T.sum(axis=1) - np.diag(T),
        }
    )
    participation = _country_level(
        production_participation(model, levels=("country",)), PARTICIPATION_COLUMNS
    )
    length = _country_level(
        production_length(model, levels=("country",), keep_parts=False), LENGTH_COLUMNS
    )
    wide = participation.join(length).reindex(codes)
    for column in wide.columns:
        frame[column] = wide[column].to_numpy()
    return frame


# ----------------------------------------------------------------------------- bilateral tables
def fva_origin_table(model: MRIOModel) -> pd.DataFrame:
    """VA origin of each country's gross exports: DEXFVAP (§4.1), origin = exporter is domestic.

    Columns year, exporter, origin, value; Σ_origin value = exporter's gross exports (exact).
    """
    content = foreign_va_in_exports(model)  # (origin, exporter)
    codes = np.array(model.countries)
    return pd.DataFrame(
        {
            "year": model.year,
            "exporter": np.repeat(codes, model.G),
            "origin": np.tile(codes, model.G),
            "value": content.T.ravel(),
        }
    )


def va_trade_table(model: MRIOModel) -> pd.DataFrame:
    """T_sr (§3): VA created in ``source`` absorbed by final demand of ``absorber``."""
    T = va_trade_matrix(model)
    codes = np.array(model.countries)
    return pd.DataFrame(
        {
            "year": model.year,
            "source": np.repeat(codes, model.G),
            "absorber": np.tile(codes, model.G),
            "value": T.ravel(),
        }
    )


def network_table(model: MRIOModel) -> pd.DataFrame:
    """VA networks by production type with the largest-supplier graph and hub flags (§9):
    :func:`chainatlas.indicators.network.va_network` (RoW is no node)."""
    from chainatlas.indicators.network import va_network

    return va_network(model)


def linkage_table(model: MRIOModel) -> pd.DataFrame:
    """LINK_rs and its inputs for every ordered pair of economies (§7.3):
    :func:`chainatlas.indicators.linkage.link_matrix`."""
    from chainatlas.indicators.linkage import link_matrix

    return link_matrix(model)


def dependence_table(model: MRIOModel) -> pd.DataFrame:
    """Imported share of intermediate inputs by using country-sector and source (§7.2, §11):
    :func:`chainatlas.indicators.dependence.foreign_dependence` at country-sector level."""
    from chainatlas.indicators.dependence import foreign_dependence

    return foreign_dependence(model, levels=("country_sector",))


def year_tables(model: MRIOModel) -> dict[str, pd.DataFrame]:
    """All per-year tables a report needs (attrs dropped: cached and fresh tables are equal)."""
    tables = {
        "country": country_table(model),
        "fva_origin": fva_origin_table(model),
        "va_trade": va_trade_table(model),
        "linkage": linkage_table(model),
        "network": network_table(model),
        "dependence": dependence_table(model),
    }
    for frame in tables.values():
        frame.attrs.clear()
    return tables


# ----------------------------------------------------------------------------- cache
# Modules whose code computes the cached tables: a change to any of them invalidates the cache.
CODE_MODULES = (
    "chainatlas.core.model",
    "chainatlas.core.value_added",
    "chainatlas.indicators._common",
    "chainatlas.indicators.participation",
    "chainatlas.indicators.length",
    "chainatlas.indicators.linkage",
    "chainatlas.indicators.network",
    "chainatlas.indicators.dependence",
    "chainatlas.reporting.data",
)


def code_fingerprint() -> str:
    """Hash of the source of :data:`CODE_MODULES` (so cached numbers follow code changes)."""
    import importlib.util

    digest = hashlib.sha256()
    for name in CODE_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and Path(spec.origin).is_file():
            digest.update(Path(spec.origin).read_bytes())
    return digest.hexdigest()[:16]


def data_fingerprint(source: str, path: Path) -> str:
    """Short hash of the source name, the resolved path, its files' sizes and mtimes, and the
    code computing the tables."""
    parts: list[str] = [
        source.lower(),
        str(path.resolve()),
        f"v{CACHE_VERSION}",
        code_fingerprint(),
    ]
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    for file in files:
        stat = file.stat()
        parts.append(f"{file.name}:{stat.st_size}:{int(stat.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    from chainatlas.sources.paths import cache_dir

    return cache_dir() / "reports"


class ReportCache:
    """Per-(source, year) report tables as Parquet files under ``root/<source>-<fingerprint>/``.

    ``root=None`` disables caching (everything is recomputed in memory).
    """

    def __init__(self, root: Path | None, source: str, data_path: Path) -> None:
        if root is not None and Path(root).exists() and not Path(root).is_dir():
            from chainatlas.errors import ChainAtlasError

            raise ChainAtlasError("the report cache must be a directory", path=str(root))
        self.source = source
        self.data_path = data_path
        self.dir = (
            None if root is None else Path(root) / f"{source}-{data_fingerprint(source, data_path)}"
        )
        self.hits = 0
        self.misses = 0

    def _year_dir(self, year: int) -> Path | None:
        return None if self.dir is None else self.dir / str(year)

    def tables(
        self,
        year: int,
        load: Callable[[int], MRIOModel],
        wanted: tuple[str, ...] = YEAR_TABLES,
    ) -> tuple[dict[str, pd.DataFrame], dict]:
        """The ``wanted`` tables of the year and the model's metadata, from the cache when the
        year is complete there, else computed (all tables, stored)."""
        year_dir = self._year_dir(year)
        if year_dir is not None and (year_dir / "meta.json").exists():
            self.hits += 1
            tables = {name: pd.read_parquet(year_dir / f"{name}.parquet") for name in wanted}
            return tables, json.loads((year_dir / "meta.json").read_text())
        self.misses += 1
        model = load(year)
        tables = year_tables(model)
        meta = _model_meta(model)
        if year_dir is not None:
            year_dir.mkdir(parents=True, exist_ok=True)
            for name, frame in tables.items():
                tmp = year_dir / f".{name}.{os.getpid()}.tmp"
                frame.to_parquet(tmp, index=False)
                os.replace(tmp, year_dir / f"{name}.parquet")
            # meta.json last: its presence marks the year as complete
            tmp = year_dir / f".meta.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(meta))
            os.replace(tmp, year_dir / "meta.json")
        return {name: tables[name] for name in wanted}, meta


def _model_meta(model: MRIOModel) -> dict:
    return {
        "source": model.source,
        "year": model.year,
        "units": model.units,
        "countries": list(model.countries),
        "sectors": list(model.sectors),
        "sector_names": list(model.sector_names),
        "notes": list(model.validation.notes),
    }
