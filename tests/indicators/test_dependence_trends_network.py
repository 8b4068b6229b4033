"""Foreign dependence (§11 FD), regionalisation / servicification / satellites (§15), VA
network hubs (§9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from indicator_helpers import rel_err

from chainatlas.errors import ChainAtlasError, ValidationError
from chainatlas.indicators._common import workspace
from chainatlas.indicators.dependence import foreign_dependence
from chainatlas.indicators.network import (
    HubParameters,
    hub_list,
    largest_supplier_edges,
    va_network,
)
from chainatlas.indicators.trends import (
    read_satellite,
    regionalisation,
    satellite_footprint,
    servicification,
)


def test_foreign_dependence_shares(wiod2011):
    frame = foreign_dependence(wiod2011, ["NEA"])
    share = frame[frame["indicator"] == "imported_input_share"]
    cs = share[share["level"] == "country_sector"]
    by_country = cs[cs["source"].isin(wiod2011.countries)]
    summed = by_country.groupby(["country", "sector"])["value"].sum()
    total = cs[cs["source"] == "ALL_FOREIGN"].set_index(["country", "sector"])["value"]
    both = pd.concat([summed, total], axis=1, keys=["sum", "total"]).dropna()
    assert rel_err(both["sum"], both["total"]) < 1e-12
    # direct formula for one industry
    i = wiod2011.country_position("CHN") * wiod2011.N + wiod2011.sector_position("c14")
    column = wiod2011.Z[:, i].reshape(wiod2011.G, wiod2011.N).sum(axis=1)
    expected = 1 - column[wiod2011.country_position("CHN")] / column.sum()
    assert total[("CHN", "c14")] == pytest.approx(expected, rel=1e-12)
    values = share["value"].dropna()
    outside = ((values < -1e-9) | (values > 1 + 1e-9)).sum()
    assert len(frame.attrs["share_exceptions"]) == outside
    assert frame.attrs["missing_members"] == {"NEA": ["MNG"]}


def test_regionalisation_and_rci(wiod2011):
    frame = regionalisation(wiod2011, ["EU", "USMCA"])
    get = frame.set_index(["region", "measure", "indicator"])["value"]
    for region in ("EU", "USMCA"):
        for name in ("intra_backward_share", "intra_forward_share", "intra_vax_share"):
            key = next(k for k in get.index if k[0] == region and k[2] == name)
            assert 0 <= get[key] <= 1
        # RCI = share_within / share_world (ADB / Frankel form)
        rci = get[(region, "gross_exports", "rci")]
        within = get[(region, "gross_exports", "rci_within")]
        x, m = (
            get[(region, "gross_exports", "rci_exports")],
            get[(region, "gross_exports", "rci_imports")],
        )
        world = get[(region, "gross_exports", "rci_world")]
        assert rci == pytest.approx((2 * within / (x + m)) / ((x + m) / (2 * world)))
    # intra-regional backward share from DEXFVAP by hand
    dex = workspace(wiod2011).dexfvap
    usmca = [wiod2011.countries.index(c) for c in ("USA", "CAN", "MEX")]
    foreign = dex - np.diag(np.diag(dex))
    expected = foreign[np.ix_(usmca, usmca)].sum() / foreign[:, usmca].sum()
    assert get[("USMCA", "dexfvap", "intra_backward_share")] == pytest.approx(expected)
    with pytest.raises(ChainAtlasError, match="region"):
        regionalisation(wiod2011, [])


def test_servicification(wiod2011):
    frame = servicification(wiod2011)
    country = frame[frame["level"] == "country"].pivot(
        index="country", columns="indicator", values="value"
    )
    assert (
        rel_err(
            country["domestic_services_content_of_mfg_exports"]
            + country["foreign_services_content_of_mfg_exports"],
            country["services_content_of_mfg_exports"],
        )
        < 1e-12
    )
    assert country["services_content_of_mfg_exports"].dropna().between(0, 1).all()
    # one country by hand: services rows of v̂B times manufacturing exports of DEU
    m = wiod2011
    s = m.country_position("DEU")
    services = np.tile(np.arange(m.N) >= 18, m.G)  # c19..c35
    mfg = np.zeros(m.GN, dtype=bool)
    mfg[s * m.N + 2 : s * m.N + 16] = True  # c3..c16
    content = (np.where(services, m.v, 0) @ m.B)[mfg] @ m.total_exports[mfg]
    expected = content / m.total_exports[mfg].sum()
    assert country.loc["DEU", "services_content_of_mfg_exports"] == pytest.approx(expected)


def test_satellite_identities_and_csv_errors(wiod2011, tmp_path):
    m = wiod2011
    rng = np.random.default_rng(1)
    emissions = rng.uniform(0, 1, m.GN) * np.abs(m.x) / 100
    rows = pd.DataFrame(
        {"country": m.row_index.get_level_values(0), "sector": m.row_index.get_level_values(1),
         "value": emissions}
    )  # fmt: skip
    path = tmp_path / "co2.csv"
    rows.to_csv(path, index=False)
    assert rel_err(read_satellite(path, m), emissions) < 1e-12
    frame = satellite_footprint(m, path, ["NEA"], name="co2")
    get = frame.set_index(["country", "indicator"])["value"]
    zero_output = (m.x == 0) & (emissions != 0)
    assert not zero_output.any()
    assert get[("WORLD", "co2_cba")] == pytest.approx(get[("WORLD", "co2_pba")], rel=1e-9)
    assert get[("CHN", "co2_embodied_in_exports")] == pytest.approx(
        get[("CHN", "co2_embodied_in_exports_domestic")]
        + get[("CHN", "co2_embodied_in_exports_foreign")]
    )
    bad = rows.copy()
    bad.loc[5, "sector"] = "c99"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ValidationError, match=r"bad\.csv.*line 7.*c99"):
        read_satellite(tmp_path / "bad.csv", m)
    rows.iloc[:-1].to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(ValidationError, match="1 country-sector"):
        read_satellite(tmp_path / "short.csv", m)
    text = rows.astype({"value": object})
    text.loc[3, "value"] = "lots"
    text.to_csv(tmp_path / "text.csv", index=False)
    with pytest.raises(ValidationError, match="line 5"):
        read_satellite(tmp_path / "text.csv", m)


def test_hubs(wiod_loader):
    network = va_network(wiod_loader(2011))
    assert "ROW" not in set(network["exporter"]) | set(network["importer"])
    edges = network[network["importer"] != "TOTAL"].pivot_table(
        index=["type", "exporter", "importer"], columns="indicator", values="value"
    )
    rank_one = edges[edges["supplier_rank"] == 1].groupby(level=["type", "importer"]).size()
    assert (rank_one == 1).all()  # exactly one largest supplier per importer and type
    shares = edges.groupby(level=["type", "importer"])["importer_share"].sum()
    assert rel_err(shares.to_numpy(), np.ones(len(shares))) < 1e-12
    hubs = hub_list(network)
    supply_complex = set(hubs[(hubs["type"] == "complex") & (hubs["role"] == "supply")]["economy"])
    assert {"CHN", "USA", "DEU"} <= supply_complex  # S4 / GVCDR 2019 qualitative pattern
    graph = largest_supplier_edges(network)
    assert set(graph["style"]) == {"solid", "dashed"}
    assert graph.groupby(["type", "importer"]).size().max() <= 2
    with pytest.raises(ChainAtlasError, match="flow type"):
        va_network(wiod_loader(2011), HubParameters(types=("bogus",)))


def test_negative_flow_shares_are_reported_not_silent(wiod_loader):
    """WIOD 2001 has negative WWYZ flows (negative inventories / VA), so some importer shares
    leave [0, 1]; each such value must be listed in share_exceptions (never silently kept)."""
    network = va_network(wiod_loader(2001))
    share = network[network["indicator"] == "importer_share"]
    outside = share[(share["value"] < -1e-9) | (share["value"] > 1 + 1e-9)]
    assert len(outside) > 0  # the year exercises the case
    reported = pd.DataFrame(network.attrs["share_exceptions"])
    assert set(reported["indicator"]) == {"importer_share"}
    key = ["type", "exporter", "importer"]
    merged = outside.merge(reported, on=key, how="left", suffixes=("", "_reported"))
    assert merged["value_reported"].notna().all()
    assert np.array_equal(merged["value"].to_numpy(), merged["value_reported"].to_numpy())


def test_trade_intensity_outside_unit_interval_is_reported(wiod2011):
    """e/x leaves [0, 1] on WIOD 2011 rows with re-exports or negative output; every such row
    is in share_exceptions, and the value itself equals e/x (not clipped)."""
    m = wiod2011
    frame = servicification(m)
    rows = frame[(frame["level"] == "country_sector") & (frame["indicator"] == "trade_intensity")]
    expected = np.full(m.GN, np.nan)
    np.divide(m.total_exports, m.x, out=expected, where=m.x != 0)
    assert np.allclose(rows["value"].to_numpy(), expected, rtol=1e-12, equal_nan=True)
    outside = rows[(rows["value"] < -1e-9) | (rows["value"] > 1 + 1e-9)]
    assert len(outside) > 0
    reported = pd.DataFrame(frame.attrs["share_exceptions"])
    reported = reported[reported["indicator"] == "trade_intensity"]
    key = ["level", "country", "sector"]
    assert set(map(tuple, outside[key].to_numpy())) <= set(map(tuple, reported[key].to_numpy()))
