"""Product-to-sector bridge: HS6 -> ISIC -> table sectors, trade-weighted from the store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from trade_helpers import require_shared

from chainatlas.errors import ChainAtlasError
from chainatlas.trade.bridge import ProductSectorBridge, isic_sector_map, normalise_hs_codes


@pytest.fixture(scope="module")
def wiod_dir():
    return require_shared("data/wiod2013")


@pytest.fixture(scope="module")
def bridge(baci_store, concordances_dir, wiod_dir):
    return ProductSectorBridge.build(
        baci_store, 2021, concordance_dir=concordances_dir, wiod_dir=wiod_dir
    )


def test_sector_maps(concordances_dir, wiod_dir):
    wiod = isic_sector_map("wiod2013", concordance_dir=concordances_dir, wiod_dir=wiod_dir)
    assert wiod["sector"].notna().all() and len(wiod) == wiod["hs6"].nunique() == 5387
    known = wiod.set_index("hs6")["sector"]
    # ISIC Rev.3 classes of well-known lines -> WIOD sectors (WIOD's sector list)
    assert known["847130"] == "c14"  # portable computers: ISIC 3000 office machinery
    assert known["870323"] == "c15"  # passenger cars: ISIC 3410 motor vehicles
    assert known["100199"] == "c1"  # wheat: ISIC 0111 growing of cereals
    assert known["271012"] == "c8"  # light petroleum oils: ISIC 2320 refined petroleum
    adb = isic_sector_map("adb", concordance_dir=concordances_dir).set_index("hs6")["sector"]
    assert adb.notna().all()
    assert (adb == known.loc[adb.index]).mean() > 0.95  # both follow the same 35 sectors
    icio = isic_sector_map(
        "icio", concordance_dir=concordances_dir, sectors=["D01T02", "D10T12", "D26", "D29"]
    ).set_index("hs6")["sector"]
    assert icio["847130"] == "D26" and icio["870323"] == "D29" and icio["100199"] == "D01T02"
    with pytest.raises(ChainAtlasError, match="EXIOBASE"):
        isic_sector_map("exiobase", concordance_dir=concordances_dir)


def test_bridge_keeps_trade_and_computes_coverage(bridge, baci_rows):
    raw = pd.DataFrame(baci_rows)
    total = 1000 * raw["v"].astype(float).sum()  # BACI: thousand USD; the store: USD
    # every HS92 line reaches a sector; the HS92 -> HS17 split keeps totals exactly
    assert bridge.unmapped_value == 0
    assert bridge.flows["value"].sum() == pytest.approx(total, rel=1e-9)
    assert bridge.seconds < 30
    by_sector = bridge.sector_trade()
    assert set(by_sector["sector"]) <= {f"c{i}" for i in range(1, 36)}
    # coverage by hand for one flow: HS chapter 71 in ZAF's exports to ARE
    cov = bridge.coverage(["71"], exporters=["ZAF"], importers=["ARE"]).set_index("sector")
    flows = bridge.flows[(bridge.flows["exporter"] == "ZAF") & (bridge.flows["importer"] == "ARE")]
    for sector, row in cov.iterrows():
        lines = flows[flows["sector"] == sector]
        covered = lines.loc[lines["hs6"].str.startswith("71"), "value"].sum()
        assert row["covered"] == pytest.approx(covered, rel=1e-12)
        assert row["coverage"] == pytest.approx(covered / lines["value"].sum(), rel=1e-12)
    assert cov["coverage"].between(0, 1).all() and cov["coverage"].max() > 0
    shares = bridge.hs6_shares()
    np.testing.assert_allclose(shares.groupby("sector")["share"].sum(), 1.0, rtol=1e-12)


def test_hs_codes_as_published():
    assert normalise_hs_codes(["8471.30.01", "8471.30.50", "85", "0904"]) == [
        "0904", "847130", "85"
    ]  # fmt: skip
    with pytest.raises(ChainAtlasError, match="847"):
        normalise_hs_codes(["847"])


def test_own_r_reader_gives_rdata_frames(concordances_dir, wiod_dir):
    # the bridge reads the ADB team's sysdata file (data.tables: an external-pointer
    # attribute, ~10^6 strings with NA) and the WIOD concordance with chainatlas' XDR reader;
    # rdata, the second parser, must give the same frames, dtypes and NA included
    import warnings
    from pathlib import Path

    import rdata

    from chainatlas.trade.bridge import HS_ISIC_FILE, WIOD_CONCORDANCE, _read_rda

    for path in (Path(concordances_dir) / HS_ISIC_FILE, Path(wiod_dir) / WIOD_CONCORDANCE):
        ours = _read_rda(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = rdata.read_rda(str(path))
        assert sorted(ours) == sorted(reference)
        for name, frame in reference.items():
            pd.testing.assert_frame_equal(
                ours[name].reset_index(drop=True), frame.reset_index(drop=True), obj=name
            )
