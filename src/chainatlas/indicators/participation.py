"""GVC participation: production-based (WWYZ 2017a, METHODS §5), trade-based (Koopman et al.
2010, §4.5) and ADB trade-based rates (§4.4).

All functions return tidy frames with columns
``year, level, country, sector, method, indicator, value``; ``level`` is one of
country_sector, country, sector_group, group, group_sector_group, world, world_sector_group.
Aggregates are Σ numerators / Σ denominators; the additive parts are kept as indicators so
every ratio can be re-aggregated by the user.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from chainatlas.core.groups import ResolvedGroup
from chainatlas.core.model import MRIOModel
from chainatlas.indicators._common import (
    aggregate_parts,
    apply_local_inverse,
    apply_local_inverse_left,
    attach_metadata,
    country_sum,
    ratio,
    ratio_of_sums,
    resolve,
    safe_divide,
    share_exceptions,
    workspace,
)

PRODUCTION_SHARES = (
    "gvc_forward",
    "gvc_forward_simple",
    "gvc_forward_complex",
    "gvc_backward",
    "gvc_backward_simple",
    "gvc_backward_complex",
    "forward_domestic_share",
    "forward_traditional_share",
    "backward_domestic_share",
    "backward_traditional_share",
)
TRADE_SHARES = ("trade_participation", "adb_forward", "adb_backward", "adb_participation")


def production_parts(model: MRIOModel) -> dict[str, np.ndarray]:
    """Row sums (forward, by VA origin) and column sums (backward, by final producer) of the
    four WWYZ production blocks V̂LŶ^D, V̂LŶ^F, V̂LA^F LŶ^D, V̂LA^F(BŶ − LŶ^D), each (GN,)."""
    ws = workspace(model)
    v, y = model.v, model.y
    L_AF_L_yd = apply_local_inverse(model, ws.foreign_apply(ws.L_yd))
    L_AF_rest = apply_local_inverse(model, ws.foreign_apply(ws.x_traced - ws.L_yd))
    vLAF_L = apply_local_inverse_left(model, ws.vLAF)
    vLAF_B = ws.vLAF @ model.B
    return {
        "va": v * ws.x_traced,  # row sums of V̂BŶ (= va up to rounding artefacts)
        "va_domestic": v * ws.L_yd,
        "va_traditional": v * ws.L_yf,
        "va_gvc_simple": v * L_AF_L_yd,
        "va_gvc_complex": v * L_AF_rest,
        "y": y,
        "y_domestic": ws.vL * ws.y_domestic,
        "y_traditional": ws.vL * ws.y_foreign,
        "y_gvc_simple": vLAF_L * ws.y_domestic,
        "y_gvc_complex": vLAF_B * y - vLAF_L * ws.y_domestic,
    }


PRODUCTION_DERIVED = {
    "gvc_forward": ratio_of_sums(["va_gvc_simple", "va_gvc_complex"], "va"),
    "gvc_forward_simple": ratio("va_gvc_simple", "va"),
    "gvc_forward_complex": ratio("va_gvc_complex", "va"),
    "forward_domestic_share": ratio("va_domestic", "va"),
    "forward_traditional_share": ratio("va_traditional", "va"),
    "gvc_backward": ratio_of_sums(["y_gvc_simple", "y_gvc_complex"], "y"),
    "gvc_backward_simple": ratio("y_gvc_simple", "y"),
    "gvc_backward_complex": ratio("y_gvc_complex", "y"),
    "backward_domestic_share": ratio("y_domestic", "y"),
    "backward_traditional_share": ratio("y_traditional", "y"),
}


def production_participation(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    user_groups=None,
    levels: Sequence[str] = (
        "country_sector",
        "country",
        "sector_group",
        "group",
        "world",
    ),
    sector_group_map: Mapping[str, Sequence[int]] | None = None,
) -> pd.DataFrame:
    """WWYZ (2017a) forward/backward participation, simple and complex, at every level."""
    resolved = resolve(model, groups, user_groups)
    frame = aggregate_parts(
        model,
        production_parts(model),
        PRODUCTION_DERIVED,
        resolved,
        levels=levels,
        sector_group_map=sector_group_map,
        extra_columns={"method": "wwyz2017-production"},
    )
    exceptions = share_exceptions(frame, PRODUCTION_SHARES)
    notes = [
        "forward = (V_GVC_S + V_GVC_C)/va by VA origin; backward = (Y_GVC_S + Y_GVC_C)/y by "
        "final-goods producer (denominator final goods production, not GDP)"
    ]
    return attach_metadata(frame, model, resolved, notes, exceptions)


def bilateral_production_flows(model: MRIOModel, level: str = "country") -> pd.DataFrame:
    """WWYZ bilateral VA flows s → r by type (traditional, simple, complex; METHODS §5).

    ``level="country"``: year, exporter, importer, indicator, value; ``"sector"`` adds the
    exporting sector. Σ over r ≠ s of the three types = v_s L_ss e_s* (BM DVA).
    """
    flows = workspace(model).bilateral_production_flows
    frames = []
    countries = np.array(model.countries, dtype=object)
    for name, matrix in flows.items():
        if level == "country":
            values = country_sum(model, matrix)
            ex, im = np.meshgrid(np.arange(model.G), np.arange(model.G), indexing="ij")
            keep = (ex != im).ravel()
            frames.append(
                pd.DataFrame(
                    {
                        "year": model.year,
                        "exporter": countries[ex.ravel()[keep]],
                        "importer": countries[im.ravel()[keep]],
                        "indicator": f"va_{name}",
                        "value": values.ravel()[keep],
                    }
                )
            )
        else:
            row, im = np.meshgrid(np.arange(model.GN), np.arange(model.G), indexing="ij")
            keep = (model.country_of_row[row] != im).ravel()
            frames.append(
                pd.DataFrame(
                    {
                        "year": model.year,
                        "exporter": countries[model.country_of_row[row.ravel()[keep]]],
                        "sector": np.array(model.sectors, dtype=object)[
                            (row.ravel()[keep]) % model.N
                        ],
                        "importer": countries[im.ravel()[keep]],
                        "indicator": f"va_{name}",
                        "value": matrix.ravel()[keep],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


# --- trade-based ------------------------------------------------------------------------------
KOOPMAN_VARIANTS = ("default", "no_fdc", "kww")


def koopman_parts(model: MRIOModel) -> dict[str, np.ndarray]:
    """IV and FV per exporting country-sector (summed over partners) from WWZ terms (§4.5)."""
    from chainatlas.decompositions import decomposition

    terms = decomposition(model, "wwz").terms
    total = {name: values.sum(axis=1) for name, values in terms.items()}
    exports = model.total_exports
    return {
        "exports": exports,
        "iv": total["DVA_INTrexI1"] + total["DVA_INTrexF"] + total["DVA_INTrexI2"],
        "iv_kww": total["DVA_INTrexF"] + total["DVA_INTrexI2"],
        "fv": sum(total[k] for k in ("MVA_FIN", "OVA_FIN", "MVA_INT", "OVA_INT", "MDC", "ODC")),
        "fv_no_fdc": sum(total[k] for k in ("MVA_FIN", "OVA_FIN", "MVA_INT", "OVA_INT")),
    }


def _position(iv: str, fv: str):
    def fn(parts):
        e = parts["exports"]
        return np.log1p(safe_divide(parts[iv], e)) - np.log1p(safe_divide(parts[fv], e))

    return fn


KOOPMAN_DERIVED = {
    "default": {
        "trade_participation": ratio_of_sums(["iv", "fv"], "exports"),
        "trade_position": _position("iv", "fv"),
    },
    "no_fdc": {
        "trade_participation": ratio_of_sums(["iv", "fv_no_fdc"], "exports"),
        "trade_position": _position("iv", "fv_no_fdc"),
    },
    "kww": {
        "trade_participation": ratio_of_sums(["iv_kww", "fv"], "exports"),
        "trade_position": _position("iv_kww", "fv"),
    },
}
_KOOPMAN_PARTS = {
    "default": ("exports", "iv", "fv"),
    "no_fdc": ("exports", "iv", "fv_no_fdc"),
    "kww": ("exports", "iv_kww", "fv"),
}


def trade_participation(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    variants: Sequence[str] = KOOPMAN_VARIANTS,
    user_groups=None,
    levels: Sequence[str] = ("country_sector", "country", "sector_group", "group", "world"),
) -> pd.DataFrame:
    """Koopman et al. (2010) GVC participation (IV+FV)/E and position
    ln(1+IV/E) − ln(1+FV/E). ``method`` records the variant: koopman2010-default
    (IV = W3+W4+W5, FV = W11..W16), -no_fdc (FV = W11..W14), -kww (IV = KWW3 = W4+W5; meant
    for country level)."""
    resolved = resolve(model, groups, user_groups)
    parts = koopman_parts(model)
    frames = []
    for variant in variants:
        if variant not in KOOPMAN_DERIVED:
            from chainatlas.errors import ChainAtlasError

            raise ChainAtlasError(
                f"unknown Koopman variant {variant!r}; choose from {', '.join(KOOPMAN_VARIANTS)}"
            )
        chosen = {k: parts[k] for k in _KOOPMAN_PARTS[variant]}
        variant_levels = [lv for lv in levels if variant != "kww" or lv != "country_sector"]
        frames.append(
            aggregate_parts(
                model,
                chosen,
                KOOPMAN_DERIVED[variant],
                resolved,
                levels=variant_levels,
                extra_columns={"method": f"koopman2010-{variant}"},
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    exceptions = share_exceptions(frame, ("trade_participation",))
    return attach_metadata(frame, model, resolved, [], exceptions)


ADB_FORWARD_TERMS = ("REX1", "REX2", "REX3", "REF1", "REF2")
ADB_BACKWARD_TERMS = ("FVA", "PDC1", "PDC2")


def adb_trade_parts(model: MRIOModel) -> dict[str, np.ndarray]:
    """ADB KI 2021 terms summed over partners: forward (REX+REF), backward (FVA+PDC)."""
    from chainatlas.decompositions import decomposition

    terms = decomposition(model, "bm-adb").terms
    missing = [t for t in (*ADB_FORWARD_TERMS, *ADB_BACKWARD_TERMS) if t not in terms]
    if missing:
        from chainatlas.errors import ChainAtlasError

        raise ChainAtlasError(
            f"bm-adb decomposition lacks term(s) {', '.join(missing)}; has {', '.join(terms)}"
        )
    total = {name: values.sum(axis=1) for name, values in terms.items()}
    return {
        "exports": model.total_exports,
        "adb_forward_flow": sum(total[t] for t in ADB_FORWARD_TERMS),
        "adb_backward_flow": sum(total[t] for t in ADB_BACKWARD_TERMS),
    }


ADB_DERIVED = {
    "adb_forward": ratio("adb_forward_flow", "exports"),
    "adb_backward": ratio("adb_backward_flow", "exports"),
    "adb_participation": ratio_of_sums(["adb_forward_flow", "adb_backward_flow"], "exports"),
}


def adb_trade_participation(
    model: MRIOModel,
    groups: Sequence[str | ResolvedGroup] | None = None,
    *,
    user_groups=None,
    levels: Sequence[str] = ("country_sector", "country", "sector_group", "group", "world"),
) -> pd.DataFrame:
    """ADB trade-based GVC participation: forward (REX+REF)/E, backward (FVA+PDC)/E (§4.4)."""
    resolved = resolve(model, groups, user_groups)
    frame = aggregate_parts(
        model,
        adb_trade_parts(model),
        ADB_DERIVED,
        resolved,
        levels=levels,
        extra_columns={"method": "adb-trade"},
    )
    exceptions = share_exceptions(frame, ("adb_forward", "adb_backward", "adb_participation"))
    return attach_metadata(frame, model, resolved, [], exceptions)
