"""Value added traced through the Leontief inverse (METHODS §2–§3, §4.1).

Pure functions of a model; every other package (decompositions, indicators, scenarios,
reports) builds on these instead of re-deriving them.
"""

from __future__ import annotations

import numpy as np

from chainatlas.core.model import MRIOModel


def country_sum_rows(model: MRIOModel, array: np.ndarray) -> np.ndarray:
    """Sum the GN rows of ``array`` by country: (GN, …) -> (G, …)."""
    return array.reshape(model.G, model.N, *array.shape[1:]).sum(axis=1)


def va_multipliers_by_origin(model: MRIOModel) -> np.ndarray:
    """(G, GN): row t = Σ_{i∈t} v_i B_ij — VA of origin country t per unit of output j."""
    return model.va_origin_multipliers


def va_by_destination(model: MRIOModel) -> np.ndarray:
    """V̂BY (GN, G): VA of each origin country-sector absorbed by final demand of each country."""
    return model.v[:, None] * (model.B @ model.Y)


def va_trade_matrix(model: MRIOModel) -> np.ndarray:
    """T (G, G): T_sr = VA created in s absorbed in final demand of r (§2 identity 4)."""
    return country_sum_rows(model, va_by_destination(model))


def vax(model: MRIOModel) -> np.ndarray:
    """VAX_s = Σ_{r≠s} T_sr, (G,)."""
    T = va_trade_matrix(model)
    return T.sum(axis=1) - np.diag(T)


def vam(model: MRIOModel) -> np.ndarray:
    """VAM_r = Σ_{s≠r} T_sr, (G,)."""
    T = va_trade_matrix(model)
    return T.sum(axis=0) - np.diag(T)


def gdp(model: MRIOModel) -> np.ndarray:
    """GDP by country, (G,)."""
    return country_sum_rows(model, model.va)


def foreign_va_in_exports(model: MRIOModel) -> np.ndarray:
    """DEXFVAP as (G origin t, G exporter s): v_t B_ts e_s* (diagonal = domestic content)."""
    content = va_multipliers_by_origin(model) * model.total_exports[None, :]
    return content.reshape(model.G, model.G, model.N).sum(axis=2)


def intermediate_imports_by_source(model: MRIOModel) -> np.ndarray:
    """(G source t, G user s): u'Z_ts u, intermediate goods of t used by s (diagonal = domestic)."""
    return model.Z.reshape(model.G, model.N, model.G, model.N).sum(axis=(1, 3))
