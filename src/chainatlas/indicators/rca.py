"""Revealed comparative advantage: Balassa on gross exports and the value-added "new RCA"
of Koopman, Wang & Wei (2014, AER 104(2), §V.B).

* Balassa (1965): RCA_si = (E_si / E_s) / (E_wi / E_w), E = gross exports of country s,
  sector i (METHODS §0: e_s* by exporting sector); w = world (every country of the table,
  RoW included, as in the ADB 2021 definitions).
* New RCA (KWW 2014): the same ratio on the forward-linkage domestic value added in gross
  exports, i.e. sector i's value added that leaves s embodied in any exports of s (its own
  and other domestic sectors'), returned VA included (KWW terms 1–5 by source sector).
  By the WWYZ split (§5) this is va_i − (v̂ L Ŷ^D u)_i: everything except the value added
  produced and absorbed at home without crossing a border. At country level it equals
  KWW T1+…+T5 = VAX_s + RDV_s.

:func:`balassa` is the pure formula on a (countries × sectors) array, so the same code can
be applied to published components (e.g. ADB's ``exports_si`` / ``vaxos_si``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from chainatlas.core.groups import ResolvedGroup
from chainatlas.core.model import MRIOModel
from chainatlas.indicators._common import attach_metadata, safe_divide, workspace


def balassa(values: np.ndarray) -> np.ndarray:
    """(G, N) array of exports (or VA exports) -> (G, N) RCA; NaN where a share is 0/0."""
    values = np.asarray(values, dtype=float)
    country_share = safe_divide(values, values.sum(axis=1, keepdims=True))
    world = values.sum(axis=0, keepdims=True)
    world_share = safe_divide(world, world.sum())
    return safe_divide(country_share, world_share)


def forward_dva_in_exports(model: MRIOModel) -> np.ndarray:
    """(GN,) domestic VA of each country-sector embodied in gross exports, forward linkage
    (KWW 2014 terms 1–5 by source sector) = va − v̂ L y^D, with va the row sums of V̂BŶ."""
    ws = workspace(model)
    return model.v * ws.x_traced - model.v * ws.L_yd


def rca(model: MRIOModel, groups: Sequence[str | ResolvedGroup] | None = None) -> pd.DataFrame:
    """Tidy RCA frame: year, country, sector, indicator, value.

    Indicators: ``exports`` (gross, e_s* by sector), ``dva_forward`` (forward-linkage DVA in
    exports), ``rca`` (Balassa on gross exports) and ``rca_va`` (KWW new RCA).
    ``groups`` is accepted for the common set interface; RCA is reported per country only.
    """
    G, N = model.G, model.N
    exports = np.asarray(model.total_exports, dtype=float).reshape(G, N)
    dva = forward_dva_in_exports(model).reshape(G, N)
    values = {
        "exports": exports,
        "dva_forward": dva,
        "rca": balassa(exports),
        "rca_va": balassa(dva),
    }
    countries = np.repeat(np.asarray(model.countries, dtype=object), N)
    sectors = np.tile(np.asarray(model.sectors, dtype=object), G)
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "country": countries,
                    "sector": sectors,
                    "indicator": name,
                    "value": array.ravel(),
                }
            )
            for name, array in values.items()
        ],
        ignore_index=True,
    )
    frame.insert(0, "year", model.year)
    notes = [
        "rca = Balassa (E_si/E_s)/(E_wi/E_w) on gross exports; rca_va = Koopman-Wang-Wei "
        "(2014) new RCA on forward-linkage domestic VA in gross exports (va - v L y^D); world "
        "= every economy of the table, RoW included"
    ]
    return attach_metadata(frame, model, (), notes)
