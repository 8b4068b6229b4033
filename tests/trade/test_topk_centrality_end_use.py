"""High-centrality filter on top-k counts (S0 items 3/7) and the selectable end-use
concordance (item 5), checked against pandas computations on the raw files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from chainatlas.errors import ChainAtlasError
from chainatlas.trade import topk_counts
from chainatlas.trade.end_use import end_use_table, end_use_universe


def _freeman(values: pd.Series) -> float:
    shares = values / values.sum()
    n = len(values)
    return 1.0 if n == 1 else (n * shares.max() - 1) / (n - 1)


def test_high_centrality_filter_matches_pandas(baci_store, baci_rows):
    raw = pd.DataFrame(baci_rows)
    raw["v"] = raw["v"].astype(float)
    raw = raw[raw["v"] > 0]
    raw["hs6"] = raw["k"].str.zfill(6)
    raw["exporter"] = raw["i"].map({"4": "AFG", "710": "ZAF"})
    by = raw.groupby(["hs6", "exporter"])["v"].sum()
    cent = by.groupby(level="hs6").apply(_freeman)
    threshold = cent.quantile(0.75)
    high = set(cent.index[cent >= threshold])
    frame = topk_counts(baci_store, [2021], k=1, universe="all", high_centrality_quantile=0.75)
    assert frame.attrs["centrality_threshold"] == pytest.approx(threshold, rel=1e-12)
    assert frame.attrs["n_high_centrality"] == len(high)
    top = by.reset_index().sort_values("v", ascending=False).drop_duplicates("hs6")
    top = top[top["hs6"].isin(high)]
    got = frame.set_index("exporter")
    for exporter in ("AFG", "ZAF"):
        exported = {h for (h, e) in by.index if e == exporter} & high
        assert got.loc[exporter, "n_exported"] == len(exported)
        assert got.loc[exporter, "n_topk"] == int((top["exporter"] == exporter).sum())
    assert int(got["n_products"].iloc[0]) == len(high)
    with pytest.raises(ChainAtlasError, match="outside"):
        topk_counts(baci_store, [2021], universe="all", high_centrality_quantile=1.5)


def test_adb_flags_give_3422_hs2017_lines(concordances_dir):
    import pyreadr

    path = concordances_dir / "adb_mrio_team/ksreyes_mrio_sysdata.rda"
    data = pyreadr.read_r(str(path), use_objects=["hsbec"])
    flags = pd.to_numeric(data["hsbec"]["BEC4INT"], errors="coerce")
    expected_any = int((flags.groupby(data["hsbec"]["HS6"]).max() > 0).sum())
    expected_full = int((flags.groupby(data["hsbec"]["HS6"]).max() >= 1).sum())
    table = end_use_table("adb-bec4", "HS17", concordances_dir)
    assert int((table["end_use"] == "intermediate").sum()) == expected_any == 3422
    full = end_use_table("adb-bec4-full", "HS17", concordances_dir)
    assert int((full["end_use"] == "intermediate").sum()) == expected_full
    # the default: UNSD HS2012 table, majority rule (docs/trade.md: 3 156)
    unsd = end_use_table("unsd-majority", "HS12", concordances_dir)
    assert int((unsd["end_use"] == "intermediate").sum()) == 3156
    with pytest.raises(ChainAtlasError, match="unknown end-use concordance"):
        end_use_table("bec5", "HS17", concordances_dir)


def test_universe_restricts_topk(lithium_store, concordances_dir):
    universe = end_use_universe("adb-bec4", "HS92", concordances_dir)
    assert "283691" in universe.codes  # lithium carbonate: intermediate under the ADB flags
    frame = topk_counts(lithium_store, [2017, 2018], universe=universe)
    assert frame["n_products"].iloc[0] == 1
    assert frame.attrs["universe"] == "adb-bec4"
    wrong = end_use_universe("adb-bec4", "HS17", concordances_dir)
    with pytest.raises(ChainAtlasError, match="for HS17, the flows are HS92"):
        topk_counts(lithium_store, [2017], universe=wrong)


def test_cli_topk_options(lithium_file, lithium_rows, concordances_dir, tmp_path):
    from chainatlas.interfaces.cli.main import app

    out = tmp_path / "top.csv"
    db = tmp_path / "trade.duckdb"
    runner = CliRunner()
    load = runner.invoke(
        app,
        [
            "trade",
            "load",
            "--source",
            "atlas",
            "--path",
            str(lithium_file),
            "--db",
            str(db),
            "--concordances",
            str(concordances_dir),
        ],
    )
    assert load.exit_code == 0, load.output
    result = runner.invoke(
        app,
        [
            "trade",
            "topk",
            "--db",
            str(db),
            "--years",
            "2017-2018",
            "--end-use-concordance",
            "adb-bec4",
            "--concordances",
            str(concordances_dir),
            "--high-centrality-quantile",
            "0.5",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "by adb-bec4" in result.output and "high-centrality products" in result.output
    frame = pd.read_csv(out)
    raw = pd.DataFrame(lithium_rows)
    raw = raw[raw["year"].isin(["2017", "2018"])]
    raw["export_value"] = raw["export_value"].astype(float)
    pooled = raw[raw["export_value"] > 0].groupby("location_code")["export_value"].sum()
    top3 = set(pooled.sort_values(ascending=False).index[:3])
    assert set(frame.loc[frame["n_topk"] == 1, "exporter"]) == top3
    assert np.all(frame["n_products"] == 1)


def test_cli_topk_high_centrality_on_an_empty_universe_says_why(
    lithium_file, concordances_dir, tmp_path
):
    # the store's one product (lithium carbonate) is intermediate: a consumption-goods universe
    # holds none, so no centrality threshold exists and the command must say so, not print 0s
    from chainatlas.interfaces.cli.main import app

    db = tmp_path / "trade.duckdb"
    runner = CliRunner()
    load = runner.invoke(app, [
        "trade", "load", "--source", "atlas", "--path", str(lithium_file), "--db", str(db),
        "--concordances", str(concordances_dir),
    ])  # fmt: skip
    assert load.exit_code == 0, load.output
    out = tmp_path / "top.csv"
    result = runner.invoke(app, [
        "trade", "topk", "--db", str(db), "--years", "2017-2018", "--end-use-concordance",
        "adb-bec4", "--concordances", str(concordances_dir), "--universe", "consumption",
        "--high-centrality-quantile", "0.75", "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "high-centrality products: none (no product of the universe has a freeman value" in (
        result.output
    )
    assert "wrote 0 exporters" in result.output
    assert pd.read_csv(out).empty
