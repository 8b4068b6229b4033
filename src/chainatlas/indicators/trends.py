"""Trend indicators (METHODS §15): regionalisation, servicification, satellite accounts.

* :func:`regionalisation` — for each region R (a country group, member-sum):
  intra-regional share of backward GVC inputs Σ_{s∈R}Σ_{t∈R,t≠s} DEXFVAP_{s,t} / Σ_{s∈R}
  EXGR_FVA_s; forward analogue with FEXDVAP_{s,r} = v_s B_sr e_r*; intra-regional share of
  VAX (T); intra-regional shares of the WWYZ GVC flows (simple + complex, forward by origin,
  backward by user); and the regional concentration index
  RCI = [2W/(X_R+M_R)] / [(X_R+M_R)/(2·World)] on gross exports and on T ("end-to-end").
* :func:`servicification` — services VA content of manufacturing exports,
  Σ_{j∈mfg(s)} Σ_{i∈serv} v_i B_ij e_j / Σ_{j∈mfg(s)} e_j, domestic/foreign services; and
  trade intensity e/x by sector.
* :func:`satellite_footprint` — any satellite per country-sector (CO2, employment…), from a
  CSV or from the table's own satellite accounts (``model.extensions``): f = sat ⊘ x;
  embodied in exports Σ_t f_t B_ts e_s* (domestic f_s B_ss e_s*), consumption-
  based CBA_r = f B Y_·r, production-based PBA_s; Σ CBA = Σ PBA.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from chainatlas.core.extensions import resolve_stressor
from chainatlas.core.groups import ResolvedGroup
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ChainAtlasError, DataNotFoundError, ValidationError
from chainatlas.indicators._common import (
    ROW,
    aggregate_parts,
    attach_metadata,
    country_sum,
    group_country_mask,
    resolve,
    safe_divide,
    sector_groups,
    share_exceptions,
    workspace,
)

REGIONAL_SHARES = (
    "intra_backward_share",
    "intra_forward_share",
    "intra_vax_share",
    "intra_gvc_forward_share",
    "intra_gvc_backward_share",
)


def _intra_share(flows: np.ndarray, mask: np.ndarray, by: str):
    """(intra, total) off-diagonal flows for region mask; flows[origin, user].

    by="user": denominators are all foreign flows *into* members (backward);
    by="origin": all foreign flows *out of* members (forward)."""
    foreign = flows - np.diag(np.diag(flows))
    intra = foreign[np.ix_(mask, mask)].sum()
    total = foreign[:, mask].sum() if by == "user" else foreign[mask, :].sum()
    return intra, total


def _rci(flows: np.ndarray, mask: np.ndarray):
    foreign = flows - np.diag(np.diag(flows))
    within = foreign[np.ix_(mask, mask)].sum()
    exports = foreign[mask, :].sum()
    imports = foreign[:, mask].sum()
    world = foreign.sum()
    share_within = safe_divide(within, (exports + imports) / 2.0)
    share_world = safe_divide((exports + imports) / 2.0, world)
    return {
        "within": within,
        "exports": exports,
        "imports": imports,
        "world": world,
        "share_within": share_within,
        "share_world": share_world,
        "rci": safe_divide(share_within, share_world),
    }


def regionalisation(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None,
    *,
    user_groups=None,
) -> pd.DataFrame:
    """Intra-regional shares of GVC links and RCI for each region. Columns: year, region,
    measure, indicator, value (measure names the flow matrix: dexfvap, fexdvap, va_trade,
    gvc_production, gross_exports)."""
    resolved = resolve(model, groups, user_groups)
    if not resolved:
        raise ChainAtlasError("regionalisation needs at least one region (--groups)")
    ws = workspace(model)
    dex = ws.dexfvap  # [origin t, exporter s]
    T = ws.T
    gvc = sum(ws.bilateral_production_country[k] for k in ("simple", "complex"))
    gross = country_sum(model, model.exports)
    rows = []
    for group in resolved:
        mask = group_country_mask(model, group)
        region = group.name

        def add(measure, indicator, value, region=region):
            rows.append((region, measure, indicator, float(value)))

        intra, total = _intra_share(dex, mask, by="user")
        add("dexfvap", "intra_backward", intra)
        add("dexfvap", "foreign_va_in_exports", total)
        add("dexfvap", "intra_backward_share", safe_divide(intra, total))
        intra, total = _intra_share(dex, mask, by="origin")
        add("fexdvap", "intra_forward", intra)
        add("fexdvap", "va_in_foreign_exports", total)
        add("fexdvap", "intra_forward_share", safe_divide(intra, total))
        intra, total = _intra_share(T, mask, by="origin")
        add("va_trade", "intra_vax", intra)
        add("va_trade", "vax", total)
        add("va_trade", "intra_vax_share", safe_divide(intra, total))
        intra, total = _intra_share(gvc, mask, by="origin")
        add("gvc_production", "intra_gvc", intra)
        add("gvc_production", "gvc_forward_flows", total)
        add("gvc_production", "intra_gvc_forward_share", safe_divide(intra, total))
        _, total_b = _intra_share(gvc, mask, by="user")
        add("gvc_production", "gvc_backward_flows", total_b)
        add("gvc_production", "intra_gvc_backward_share", safe_divide(intra, total_b))
        for measure, flows in (("gross_exports", gross), ("va_trade", T)):
            for name, value in _rci(flows, mask).items():
                add(measure, f"rci_{name}" if name != "rci" else "rci", value)
    frame = pd.DataFrame(rows, columns=["region", "measure", "indicator", "value"])
    frame.insert(0, "year", model.year)
    exceptions = share_exceptions(frame, REGIONAL_SHARES)
    notes = [
        "member-sum: intra-regional flows are between different members; RCI as ADB/Frankel: "
        "[W/((X+M)/2)] / [((X+M)/2)/World] on gross exports and on T (end-to-end)"
    ]
    return attach_metadata(frame, model, resolved, notes, exceptions)


# --- servicification ----------------------------------------------------------------------
def servicification(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    user_groups=None,
    manufacturing: Sequence[str] | None = None,
    services: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Services VA content of manufacturing exports (domestic / foreign services) and trade
    intensity. Columns: year, level, country, sector, indicator, value."""
    resolved = resolve(model, groups, user_groups)
    defaults = sector_groups(model)
    if (manufacturing is None or services is None) and not defaults:
        raise ChainAtlasError(
            "servicification needs the manufacturing and services sector lists for "
            f"this classification ({', '.join(model.sectors[:5])}, …)"
        )
    mfg_pos = (
        [model.sector_position(s) for s in manufacturing]
        if manufacturing is not None
        else defaults["manufacturing"]
    )
    srv_pos = (
        [model.sector_position(s) for s in services]
        if services is not None
        else defaults["services"]
    )
    G, N, GN = model.G, model.N, model.GN
    is_service = np.zeros(N, dtype=bool)
    is_service[srv_pos] = True
    service_rows = np.tile(is_service, G)
    # services VA multipliers by origin country: (G, GN)
    weighted = np.where(service_rows, model.v, 0.0)[:, None] * model.B
    by_origin = country_sum(model, weighted)
    domestic = by_origin[model.country_of_row, np.arange(GN)]
    total = by_origin.sum(axis=0)
    e = model.total_exports
    is_mfg = np.zeros(N, dtype=bool)
    is_mfg[mfg_pos] = True
    mfg_rows = np.tile(is_mfg, G)
    parts = {
        "exports": e,
        "mfg_exports": np.where(mfg_rows, e, 0.0),
        "services_va_in_mfg_exports": np.where(mfg_rows, total * e, 0.0),
        "domestic_services_va_in_mfg_exports": np.where(mfg_rows, domestic * e, 0.0),
        "foreign_services_va_in_mfg_exports": np.where(mfg_rows, (total - domestic) * e, 0.0),
        "x": model.x,
    }
    derived = {
        "services_content_of_mfg_exports": lambda p: safe_divide(
            p["services_va_in_mfg_exports"], p["mfg_exports"]
        ),
        "domestic_services_content_of_mfg_exports": lambda p: safe_divide(
            p["domestic_services_va_in_mfg_exports"], p["mfg_exports"]
        ),
        "foreign_services_content_of_mfg_exports": lambda p: safe_divide(
            p["foreign_services_va_in_mfg_exports"], p["mfg_exports"]
        ),
        "trade_intensity": lambda p: safe_divide(p["exports"], p["x"]),
    }
    frame = aggregate_parts(model, parts, derived, resolved)
    # content indicators are meaningless for non-manufacturing rows (0/0 there already NaN)
    exceptions = share_exceptions(
        frame,
        (
            "services_content_of_mfg_exports",
            "domestic_services_content_of_mfg_exports",
            "foreign_services_content_of_mfg_exports",
            # exports over output: above 1 with re-exports or rounding, below 0 with negative
            # output (negative inventories) — reported like the shares
            "trade_intensity",
        ),
    )
    notes = [
        f"manufacturing = {', '.join(model.sectors[i] for i in mfg_pos)}; services = "
        f"{', '.join(model.sectors[i] for i in srv_pos)}",
        "trade_intensity = gross exports / gross output (outside [0, 1] with re-exports, "
        "rounding or negative output: listed in share_exceptions)",
    ]
    return attach_metadata(frame, model, resolved, notes, exceptions)


# --- satellite accounts -------------------------------------------------------------------
def is_extension_spec(satellite: object, model: MRIOModel) -> bool:
    """A string naming one of the model's satellite accounts (``EXTENSION:STRESSOR``), not a
    CSV path: used when it is not an existing file and does not end in .csv."""
    if not isinstance(satellite, str):
        return False
    return not Path(satellite).is_file() and not satellite.lower().endswith(".csv")


def read_satellite(
    source: str | Path | pd.DataFrame, model: MRIOModel, name: str | None = None
) -> np.ndarray:
    """A satellite account as a (GN,) array in the model's row order.

    ``source``: a CSV path or DataFrame with columns country, sector, value (and optionally
    year — rows of other years are ignored). Every country-sector must appear exactly once;
    unknown labels and missing or non-numeric values are errors naming the file and row.
    """
    path = None
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
    else:
        path = str(source)
        if not Path(path).is_file():
            raise DataNotFoundError("satellite file not found", path=path)
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read CSV: {exc}", path=path) from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = {"country", "sector", "value"} - set(frame.columns)
    if missing:
        raise ValidationError(
            f"satellite CSV lacks column(s) {', '.join(sorted(missing))}; need country, "
            "sector, value (optional year)",
            path=path,
        )
    frame["_row"] = np.arange(len(frame)) + 2  # CSV line number (header = line 1)
    if "year" in frame.columns and model.year is not None:
        frame = frame[pd.to_numeric(frame["year"], errors="coerce") == model.year]
        if frame.empty:
            raise ValidationError(f"no rows for year {model.year}", path=path)
    values = pd.to_numeric(frame["value"], errors="coerce")
    bad = frame[values.isna() | ~np.isfinite(values.fillna(0))]
    if not bad.empty:
        row = bad.iloc[0]
        raise ValidationError(
            f"value {row['value']!r} is not a finite number",
            path=path,
            location=f"line {row['_row']} ({row['country']}, {row['sector']})",
        )
    countries = frame["country"].astype(str).str.strip().str.upper().replace({"ROM": "ROU"})
    countries = countries.replace({"RoW".upper(): ROW})
    sectors = frame["sector"].astype(str).str.strip()
    index = {(c, s): i for i, (c, s) in enumerate(model.row_index)}
    out = np.full(model.GN, np.nan)
    for line, c, s, v in zip(frame["_row"], countries, sectors, values, strict=True):
        key = (c, s)
        if key not in index:
            raise ValidationError(
                f"unknown country-sector {c}.{s}; the table has countries "
                f"{', '.join(model.countries[:6])}, … and sectors "
                f"{', '.join(model.sectors[:4])}, …",
                path=path,
                location=f"line {line}",
            )
        if not np.isnan(out[index[key]]):
            raise ValidationError(f"duplicate row for {c}.{s}", path=path, location=f"line {line}")
        out[index[key]] = v
    if np.isnan(out).any():
        absent = [f"{c}.{s}" for (c, s), v in zip(model.row_index, out, strict=True) if np.isnan(v)]
        raise ValidationError(
            f"{len(absent)} country-sector(s) missing, e.g. {', '.join(absent[:5])}",
            path=path,
        )
    return out


def satellite_footprint(
    model: MRIOModel,
    satellite: str | Path | pd.DataFrame | np.ndarray,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    name: str = "satellite",
    user_groups=None,
) -> pd.DataFrame:
    """Embodied satellite (e.g. CO2) in exports, consumption- and production-based totals.

    ``satellite``: a (GN,) array, a CSV path or DataFrame (country, sector, value), or the
    name of one of the table's satellite accounts, ``EXTENSION:STRESSOR`` (e.g.
    ``"Air Emission Accounts:CO2"``; the stressor alone when only one extension has it).
    From an extension with final-demand use F_Y, ``direct_final_demand`` and
    ``cba_with_direct`` (the footprint including households' own emissions) are added.
    Columns: year, country, indicator, value (country rows then group rows, member-sum).
    """
    resolved = resolve(model, groups, user_groups)
    direct_fd = None  # F_Y: emitted by final demand itself (households' fuel…), (G*F,)
    unit = None
    if isinstance(satellite, np.ndarray):
        values = np.asarray(satellite, dtype=float)
    elif is_extension_spec(satellite, model):
        ext, row = resolve_stressor(model.extensions, str(satellite))
        values = np.array(ext.F[row])
        direct_fd = None if ext.F_Y is None else np.array(ext.F_Y[row])
        unit = f"{ext.name}: {ext.stressors[row]} ({ext.units[row]})"
    else:
        values = read_satellite(satellite, model)
    if values.shape != (model.GN,):
        raise ValidationError(f"satellite has shape {values.shape}, expected ({model.GN},)")
    intensity = values * model.inverse_output  # f = sat ⊘ x (0 where x = 0)
    no_output = (model.x == 0) & (values != 0)
    fB = intensity @ model.B  # (GN,): embodied per unit of output j
    fB_by_origin = country_sum(model, intensity[:, None] * model.B)  # (G, GN)
    e = model.total_exports
    domestic = fB_by_origin[model.country_of_row, np.arange(model.GN)]
    parts = {
        "pba": country_sum(model, values),
        "cba": fB @ model.Y,
        "embodied_in_exports": country_sum(model, fB * e),
        "embodied_in_exports_domestic": country_sum(model, domestic * e),
        "embodied_in_exports_foreign": country_sum(model, (fB - domestic) * e),
    }
    labels = list(model.countries)
    W = [np.eye(model.G)]
    for group in resolved:
        W.append(group_country_mask(model, group)[None, :].astype(float))
        labels.append(group.name)
    W = np.vstack(W)
    labels.append("WORLD")
    W = np.vstack([W, np.ones((1, model.G))])
    if direct_fd is not None:
        # direct final-demand use by the consuming country (pymrio: F_Y summed by region)
        parts["direct_final_demand"] = direct_fd.reshape(model.G, model.F).sum(axis=1)
        parts["cba_with_direct"] = parts["cba"] + parts["direct_final_demand"]
    totals = {k: W @ v for k, v in parts.items()}
    totals["balance_pba_minus_cba"] = totals["pba"] - totals["cba"]
    totals["export_intensity"] = safe_divide(
        totals["embodied_in_exports"], W @ country_sum(model, e)
    )
    frame = pd.concat(
        [
            pd.DataFrame(
                {"year": model.year, "country": labels, "indicator": f"{name}_{k}", "value": v}
            )
            for k, v in totals.items()
        ],
        ignore_index=True,
    )
    notes = [
        f"{name}: f = satellite ⊘ x; exports Σ_t f_t B_ts e_s*; CBA_r = f B Y_·r; PBA = Σ sat",
    ]
    if unit is not None:
        notes.append(f"{name}: satellite account {unit} as published with the table")
    if direct_fd is not None:
        notes.append(
            f"{name}: cba_with_direct = CBA_r + direct final-demand use F_Y of country r "
            "(pymrio's D_cba_reg + F_Y)"
        )
    if no_output.any():
        notes.append(
            f"{int(no_output.sum())} country-sector(s) with zero output but non-zero satellite: "
            "their intensity is 0, so Σ CBA < Σ PBA by that amount"
        )
    return attach_metadata(frame, model, resolved, notes)
