"""The tables a report is drawn from, one year of one MRIO table at a time.

Everything here is a pure function of an :class:`MRIOModel` and returns tidy DataFrames, so the
charts can be checked against the numbers they show. Formulas follow METHODS §3–§5, §6.1, §7.3
and §9; all products are matrix-vector or block (G, N, N) operations — nothing GN×GN is formed
except the cached Leontief inverse B of the model itself.

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
CACHE_VERSION = 1

YEAR_TABLES = ("country", "fva_origin", "va_trade", "network", "dependence")


# ----------------------------------------------------------------------------- block helpers
def _blocks(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    return vector.reshape(model.G, model.N)


def _local_left(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    """L w for the block-diagonal local inverse L = diag(L_ss), w a GN column vector."""
    return np.einsum("gij,gj->gi", model.local_inverse, _blocks(model, vector)).ravel()


def _local_right(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    """w' L for a GN row vector w."""
    return np.einsum("gi,gij->gj", _blocks(model, vector), model.local_inverse).ravel()


def _domestic_left(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    """A^D w (domestic blocks of A only)."""
    return np.einsum("gij,gj->gi", model.A_domestic, _blocks(model, vector)).ravel()


def _domestic_right(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    """w' A^D."""
    return np.einsum("gi,gij->gj", _blocks(model, vector), model.A_domestic).ravel()


def _foreign_left(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    """A^F w = A w − A^D w."""
    return model.A @ vector - _domestic_left(model, vector)


def _foreign_right(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    """w' A^F."""
    return vector @ model.A - _domestic_right(model, vector)


def _by_country(model: MRIOModel, vector: np.ndarray) -> np.ndarray:
    return _blocks(model, vector).sum(axis=1)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator != 0, numerator / np.where(denominator != 0, denominator, 1), np.nan
        )


def domestic_final_demand(model: MRIOModel) -> np.ndarray:
    """y^D (GN,): final goods of each country-sector absorbed at home (Y_ss u)."""
    own = np.repeat(np.arange(model.G), model.N)
    return model.Y[np.arange(model.GN), own]


# ----------------------------------------------------------------------------- country table
def country_table(model: MRIOModel) -> pd.DataFrame:
    """One row per country: exports and their VA content, WWYZ participation, lengths, position.

    Columns (all in the table's units or as ratios):
    exports (e_s*), dva (v_s B_ss e_s*, TiVA domestic VA content, §4.1), fva (= exports − dva),
    dva_share, fva_share, gdp, vax, final_output (y),
    gvc_forward(_simple/_complex) = V_GVC u / va (§5), gvc_backward(_simple/_complex) =
    Y_GVC / y (§5), plv PLv, ply PLy, plv_gvc PLv_GVC,
    ply_gvc PLy_GVC and position = PLv_GVC / PLy_GVC (§6.1, >1 = upstream).
    """
    G = model.G
    v, x, y, va = model.v, model.x, model.y, model.va
    yD = domestic_final_demand(model)

    # forward (rows): V_GVC u = v̂ L A^F x; simple part v̂ L A^F (L y^D)
    LAFx = _local_left(model, _foreign_left(model, x))
    fwd_total = v * LAFx
    fwd_simple = v * _local_left(model, _foreign_left(model, _local_left(model, yD)))
    # backward (columns): u'V̂LA^F B Ŷ = ((v'L) A^F B) ∘ y; simple: ((v'L) A^F L) ∘ y^D
    vL = _local_right(model, v)
    vLAF = _foreign_right(model, vL)
    vLAFB = vLAF @ model.B
    bwd_total = vLAFB * y
    bwd_simple = _local_right(model, vLAF) * yD

    # lengths (§6.1): Xv u = v̂ B x; u'Xv = (u'B) ∘ y
    Xv_rows = v * (model.B @ x)
    colsum_B = model.B.sum(axis=0)
    Xv_cols = colsum_B * y
    # GVC segments, forward: v̂ L L A^F x + v̂ B A^F x + v̂ L A^F B A^D x
    AFx = _foreign_left(model, x)
    gvc_len_rows = v * (
        _local_left(model, LAFx)
        + model.B @ AFx
        + _local_left(model, _foreign_left(model, model.B @ _domestic_left(model, x)))
    )
    # backward: (v'L L A^F B) ∘ y + (u'A^F B) ∘ y + (v'L A^F B A^D B) ∘ y
    vLL = _local_right(model, vL)
    gvc_len_cols = y * (
        _foreign_right(model, vLL) @ model.B
        + _foreign_right(model, np.ones(model.GN)) @ model.B
        + _domestic_right(model, vLAFB) @ model.B
    )

    exports = model.total_exports
    dexfvap = foreign_va_in_exports(model)
    exports_c = _by_country(model, exports)
    dva_c = np.diag(dexfvap).copy()
    T = va_trade_matrix(model)
    va_c, y_c = _by_country(model, va), _by_country(model, y)
    fwd_c, fwd_s = _by_country(model, fwd_total), _by_country(model, fwd_simple)
    bwd_c, bwd_s = _by_country(model, bwd_total), _by_country(model, bwd_simple)
    plv_gvc = _ratio(_by_country(model, gvc_len_rows), fwd_c)
    ply_gvc = _ratio(_by_country(model, gvc_len_cols), bwd_c)
    frame = pd.DataFrame(
        {
            "year": model.year,
            "country": list(model.countries),
            "exports": exports_c,
            "dva": dva_c,
            "fva": exports_c - dva_c,
            "dva_share": _ratio(dva_c, exports_c),
            "fva_share": _ratio(exports_c - dva_c, exports_c),
            "gdp": gdp(model),
            "vax": T.sum(axis=1) - np.diag(T),
            "final_output": y_c,
            "gvc_forward": _ratio(fwd_c, va_c),
            "gvc_forward_simple": _ratio(fwd_s, va_c),
            "gvc_forward_complex": _ratio(fwd_c - fwd_s, va_c),
            "gvc_backward": _ratio(bwd_c, y_c),
            "gvc_backward_simple": _ratio(bwd_s, y_c),
            "gvc_backward_complex": _ratio(bwd_c - bwd_s, y_c),
            "plv": _ratio(_by_country(model, Xv_rows), va_c),
            "ply": _ratio(_by_country(model, Xv_cols), y_c),
            "plv_gvc": plv_gvc,
            "ply_gvc": ply_gvc,
            "gvc_position": _ratio(plv_gvc, ply_gvc),
        }
    )
    assert len(frame) == G
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


def bilateral_flows_by_type(model: MRIOModel) -> dict[str, np.ndarray]:
    """§5 bilateral form, (G, G) each, diagonal zero: s's VA flowing to r by production type.

    traditional: v_s L_ss Y_sr; simple_gvc: v_s L_ss A_sr L_rr Y_rr;
    complex_gvc: v_s L_ss A_sr (x_r − L_rr Y_rr). Σ_{r≠s} of the three = v_s L_ss e_s*.
    """
    G, N = model.G, model.N
    vL = _blocks(model, _local_right(model, model.v))  # (G, N): v_s L_ss
    Y3 = model.Y.reshape(G, N, G)
    traditional = np.einsum("sn,snr->sr", vL, Y3)
    own_final = Y3[np.arange(G), :, np.arange(G)]  # (G, N): Y_rr
    L_own_final = np.einsum("rij,rj->ri", model.local_inverse, own_final)
    vLA = np.einsum("sn,srnm->srm", vL, model.A_blocks)  # (G, G, N): v_s L_ss A_sr
    simple = np.einsum("srm,rm->sr", vLA, L_own_final)
    complex_ = np.einsum("srm,rm->sr", vLA, _blocks(model, model.x) - L_own_final)
    flows = {"traditional": traditional, "simple_gvc": simple, "complex_gvc": complex_}
    for matrix in flows.values():
        np.fill_diagonal(matrix, 0.0)
    return flows


def network_table(model: MRIOModel) -> pd.DataFrame:
    """Edge list of VA flows by type (§9): year, type, source, target, value (s ≠ r)."""
    codes = np.array(model.countries)
    src = np.repeat(codes, model.G)
    dst = np.tile(codes, model.G)
    off = src != dst
    frames = [
        pd.DataFrame(
            {
                "year": model.year,
                "type": kind,
                "source": src[off],
                "target": dst[off],
                "value": matrix.ravel()[off],
            }
        )
        for kind, matrix in bilateral_flows_by_type(model).items()
    ]
    return pd.concat(frames, ignore_index=True)


def dependence_table(model: MRIOModel) -> pd.DataFrame:
    """Intermediate inputs of each user country-sector by source country (u'Z_ts, by column).

    Columns year, user, sector, supplier, value; the foreign-input share of a user sector is
    Σ_{supplier≠user} value / Σ value (METHODS §7.2 at sector level, §11 FD).
    """
    G, N = model.G, model.N
    by_supplier = model.Z.reshape(G, N, G, N).sum(axis=1)  # (supplier, user, user sector)
    codes = np.array(model.countries)
    return pd.DataFrame(
        {
            "year": model.year,
            "user": np.tile(np.repeat(codes, N), G),
            "sector": np.tile(np.array(model.sectors), G * G),
            "supplier": np.repeat(codes, G * N),
            "value": by_supplier.ravel(),
        }
    )


def year_tables(model: MRIOModel) -> dict[str, pd.DataFrame]:
    """All per-year tables a report needs."""
    return {
        "country": country_table(model),
        "fva_origin": fva_origin_table(model),
        "va_trade": va_trade_table(model),
        "network": network_table(model),
        "dependence": dependence_table(model),
    }


def linkage_matrix(va_trade: pd.DataFrame, economies: list[str]) -> pd.DataFrame:
    """LINK_rs = 100·T_rs / √(VAX_r · VAM_s) (§7.3) among ``economies`` (rows r = source).

    VAX and VAM are taken over all partners in the table, not only the listed ones; the
    diagonal is undefined (NaN).
    """
    T = va_trade.pivot(index="source", columns="absorber", values="value")
    off = T.copy()
    for code in off.index:
        off.loc[code, code] = 0.0
    vax_r = off.sum(axis=1)
    vam_s = off.sum(axis=0)
    sub = off.loc[economies, economies]
    link = 100.0 * sub / np.sqrt(np.outer(vax_r.loc[economies], vam_s.loc[economies]))
    for code in economies:
        link.loc[code, code] = np.nan
    link.index.name, link.columns.name = "source", "absorber"
    return link


def largest_supplier_graph(
    edges: pd.DataFrame, k_min: int = 3
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """§9 default figure rule for one year and type: for every importer its largest supplier.

    ``edges``: source, target, value (RoW excluded by the caller). Returns (links, nodes):
    links = target, source (the largest supplier), value; nodes = country, va_exports (Σ value
    out), out_degree (number of importers it is the largest supplier of), hub (out_degree ≥
    k_min).
    """
    positive = edges[edges["value"] > 0]
    best = positive.loc[positive.groupby("target")["value"].idxmax(), ["target", "source", "value"]]
    best = best.sort_values("value", ascending=False).reset_index(drop=True)
    countries = sorted(set(edges["source"]) | set(edges["target"]))
    out_value = edges.groupby("source")["value"].sum().reindex(countries, fill_value=0.0)
    degree = best.groupby("source").size().reindex(countries, fill_value=0)
    nodes = pd.DataFrame(
        {"country": countries, "va_exports": out_value.to_numpy(), "out_degree": degree.to_numpy()}
    )
    nodes["hub"] = nodes["out_degree"] >= k_min
    return best, nodes.sort_values("va_exports", ascending=False).reset_index(drop=True)


# ----------------------------------------------------------------------------- cache
def data_fingerprint(source: str, path: Path) -> str:
    """Short hash of the source name, the resolved path and its files' sizes and mtimes."""
    parts: list[str] = [source.lower(), str(path.resolve()), f"v{CACHE_VERSION}"]
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
        self.source = source
        self.data_path = data_path
        self.dir = (
            None if root is None else Path(root) / f"{source}-{data_fingerprint(source, data_path)}"
        )
        self.hits = 0
        self.misses = 0

    def _year_dir(self, year: int) -> Path | None:
        return None if self.dir is None else self.dir / str(year)

    def tables(self, year: int, load: Callable[[int], MRIOModel]) -> dict[str, pd.DataFrame]:
        """The year's tables, from the cache when complete, else computed (and stored)."""
        year_dir = self._year_dir(year)
        if year_dir is not None and (year_dir / "meta.json").exists():
            self.hits += 1
            return {name: pd.read_parquet(year_dir / f"{name}.parquet") for name in YEAR_TABLES}
        self.misses += 1
        model = load(year)
        tables = year_tables(model)
        tables["country"].attrs["meta"] = _model_meta(model)
        if year_dir is not None:
            year_dir.mkdir(parents=True, exist_ok=True)
            for name, frame in tables.items():
                tmp = year_dir / f".{name}.{os.getpid()}.tmp"
                frame.to_parquet(tmp, index=False)
                os.replace(tmp, year_dir / f"{name}.parquet")
            # meta.json last: its presence marks the year as complete
            tmp = year_dir / f".meta.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(_model_meta(model)))
            os.replace(tmp, year_dir / "meta.json")
        return tables

    def meta(self, year: int) -> dict | None:
        year_dir = self._year_dir(year)
        if year_dir is None or not (year_dir / "meta.json").exists():
            return None
        return json.loads((year_dir / "meta.json").read_text())


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
