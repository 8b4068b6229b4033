"""A table without the WIOD-2013 sector codes (and without NEA members): every study still
lists every item, with a reason where an item cannot be computed."""

from __future__ import annotations

import numpy as np

from chainatlas.core.model import MRIOModel
from chainatlas.studies import StudyContext, catalogue, run_study


def _toy(year: int) -> MRIOModel:
    rng = np.random.default_rng(year)
    countries, sectors = ("USA", "CHN", "DEU", "ROW"), ("AGR", "MAN", "SRV")
    GN, G = 12, 4
    Z = rng.uniform(1, 10, (GN, GN))
    Y = rng.uniform(5, 20, (GN, G))
    return MRIOModel.from_arrays(Z, Y, countries=countries, sectors=sectors,
                                 fd_categories=("F",), year=year)  # fmt: skip


def test_every_study_lists_every_item_on_a_toy_table():
    ctx = StudyContext(years=[2001, 2002], loader=_toy, source="toy")
    cat = catalogue()
    for study in ("s0", "s1", "s2", "s3", "s4"):
        report = run_study(study, ctx)
        items = report.items_frame()
        assert items["item"].tolist() == cat.loc[cat["study"] == study, "item"].tolist()
        for row in items.itertuples():
            if row.status == "needs data":
                assert row.reason
    s1 = {r.item: r for r in run_study("s1", ctx).items}
    assert s1[32].status == "needs data" or s1[32].values  # c3..c16 absent: no MVA
