"""compute_indicator_sets, the indicators and tables commands (CliRunner), and the studies'
tables (METHODS §7.4 consistency, missing members stated)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from indicator_helpers import require_shared
from typer.testing import CliRunner

from chainatlas.errors import ChainAtlasError
from chainatlas.indicators import SET_NAMES, compute_indicator_sets
from chainatlas.indicators.io import read_metadata
from chainatlas.indicators.tables import linkage_study
from chainatlas.interfaces.cli.main import app

runner = CliRunner()


def test_all_sets_are_tidy_with_missing_members(wiod2011):
    results = compute_indicator_sets(wiod2011, None, ["NEA", "ASEAN-9"])
    assert list(results) == list(SET_NAMES)
    for name, frame in results.items():
        assert {"year", "indicator", "value"} <= set(frame.columns), name
        assert list(frame.columns[-2:]) == ["indicator", "value"], name
        assert (frame["year"] == 2011).all(), name
        assert frame.attrs["missing_members"]["NEA"] == ["MNG"], name
        assert frame["value"].dtype == float, name
    assert list(results["upstreamness"].columns) == [
        "year", "country", "sector", "indicator", "value"
    ]  # fmt: skip
    assert set(results["upstreamness"]["indicator"]) == {
        "upstreamness", "downstreamness", "final_use_share", "upstreamness_uncorrected",
        "downstreamness_uncorrected", "final_use_share_uncorrected",
    }  # fmt: skip
    methods = set(results["participation"]["method"])
    assert {"wwyz2017-production", "koopman2010-default", "adb-trade"} <= methods


def test_panel_adds_groups_and_shortening(wiod_loader):
    from chainatlas.indicators import indicator_panel

    out = indicator_panel([2010, 2011], wiod_loader, ["length", "participation"], ["NEA"])
    assert set(out) == {"length", "participation", "shortening", "groups"}
    short = out["shortening"]
    assert list(short.columns) == ["year", "level", "country", "sector", "indicator", "value"]
    get = short.set_index(["year", "level", "country", "sector", "indicator"])["value"]
    key = ("country", "CHN", "TOTAL")
    change = get[(2011, *key, "plv_gvc")] - get[(2010, *key, "plv_gvc")]
    assert get[(2011, *key, "d_plv_gvc")] == pytest.approx(change)
    assert np.isnan(get[(2010, *key, "shortened_f")])
    groups = out["groups"]
    assert set(groups[groups["status"] == "missing"]["member"]) == {"MNG"}
    assert out["length"].attrs["missing_members_by_year"]["2011"] == {"NEA": ["MNG"]}


def test_unknown_set_and_option_are_errors(wiod2011):
    from chainatlas.errors import ChainAtlasError

    with pytest.raises(ChainAtlasError, match="unknown indicator set"):
        compute_indicator_sets(wiod2011, ["participaton"])
    with pytest.raises(ChainAtlasError, match="unknown indicator option"):
        compute_indicator_sets(wiod2011, ["vax"], options={"hubkmin": 2})
    with pytest.raises(ChainAtlasError, match="satellite"):
        compute_indicator_sets(wiod2011, ["satellite"])


def test_indicators_cli_writes_parquet_and_duckdb(tmp_path, wiod_dir):
    out = tmp_path / "res"
    result = runner.invoke(
        app,
        ["indicators", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2010-2011",
         "--set", "upstreamness,linkage,vax,regional", "--groups", "NEA,ASEAN", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    up = pd.read_parquet(out / "upstreamness.parquet")
    assert list(up.columns) == ["year", "country", "sector", "indicator", "value"]
    assert sorted(up["year"].unique()) == [2010, 2011]
    meta = read_metadata(out / "linkage.parquet")
    assert meta["missing_members"]["NEA"] == ["MNG"]
    assert "MMR" in meta["missing_members"]["ASEAN-10"]
    with duckdb.connect(str(out / "results.duckdb"), read_only=True) as con:
        views = {row[0] for row in con.execute("select view_name from duckdb_views()").fetchall()}
        assert {"upstreamness", "linkage", "vax", "regional", "groups"} <= views
        n = con.execute("select count(*) from upstreamness where year = 2011").fetchone()[0]
        missing = con.execute(
            "select member from groups where status = 'missing' and grp = 'NEA'".replace(
                "grp", '"group"'
            )
        ).fetchall()
    assert n == (up["year"] == 2011).sum()
    assert {m[0] for m in missing} == {"MNG"}
    assert not list(out.glob("*.tmp"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "nosuchset"], "unknown indicator set"),
        (["--groups", "ATLANTIS"], "unknown group 'ATLANTIS'"),
        (["--years", "1990"], "unknown year(s) 1990"),
        (["--years", "20x1"], "bad year or range"),
        (["--satellite", "/nonexistent/co2.csv"], "satellite file not found"),
        (["--groups", "ROW"], "RoW"),
        (["--set", "hubs", "--hub-min-share", "2"], "0 <= --hub-min-share <= 1 (got 2.0)"),
        (["--set", "hubs", "--hub-k-min", "0"], "--hub-k-min >= 1 (got 0)"),
    ],
)
def test_indicators_cli_bad_input_exit_2(tmp_path, wiod_dir, args, message):
    out = tmp_path / "res"
    base = ["indicators", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2011"]
    result = runner.invoke(app, [*base, *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_indicators_cli_out_must_be_directory(tmp_path, wiod_dir):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    result = runner.invoke(
        app, ["indicators", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2011",
              "--set", "vax", "--out", str(target)],
    )  # fmt: skip
    assert result.exit_code == 2 and "must be a directory" in result.output
    assert target.read_text() == "keep me"


def test_linkage_study_table2_adds_up_and_says_what_is_missing(wiod_loader):
    study = linkage_study([2009, 2010, 2011], wiod_loader)
    table1, table2 = study.tables["table1"], study.tables["table2"]
    for measure in ("VA in exports", "Imported intermediates"):
        for exporter in ("ASEAN", "India", "Mexico"):
            by_source = table2.loc[(measure, exporter), ["CHN", "JPN", "KOR", "MNG", "RUS"]]
            assert by_source.sum(skipna=True) == pytest.approx(
                table1.loc[2011, (measure, exporter)], rel=1e-9
            )
    assert table2["MNG"].isna().all()  # no MNG in WIOD: n/a, not 0
    notes = " ".join(study.notes)
    assert "MNG" in notes and "computed from IDN" in notes
    # the captions say it too: "ASEAN" in WIOD 2013 is Indonesia only
    assert "ASEAN = ASEAN-9 members in the table: IDN" in study.captions["table1"]
    assert "ASEAN = ASEAN-9 members in the table: IDN" in study.captions["table2"]
    assert study.missing_members["ASEAN-9"] == [
        "BRN", "KHM", "LAO", "MYS", "PHL", "SGP", "THA", "VNM"
    ]  # fmt: skip
    assert set(study.tables) == {"table1", "table2", "table3_2011"} or "table3_2009" in study.tables
    link = study.tables["table3_2011"]
    values = link.to_numpy(dtype=float)
    assert np.nanmin(values) >= 0 and np.nanmax(values) <= 100
    assert link.loc["MNG"].isna().all()


def test_tables_cli(tmp_path, wiod_dir):
    out = tmp_path / "tables"
    result = runner.invoke(
        app, ["tables", "linkage-study", "--source", "wiod2013", "--path", str(wiod_dir),
              "--years", "2007-2011", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "MNG" in result.output  # missing members said on the console too
    markdown = (out / "linkage-study.md").read_text()
    assert "Table 3 (2011)" in markdown and "Table 3 (2007)" in markdown
    assert "ASEAN-9: members not in this table" in markdown
    assert "| JPN | 13." in markdown  # JPN→CHN LINK on WIOD 2011 (S3 ADB 2021: 13.43)
    assert (out / "linkage-study.html").read_text().startswith("<!DOCTYPE html>")
    table1 = pd.read_csv(out / "linkage-study_table1.csv")
    assert list(table1["year"]) == [2007, 2008, 2009, 2010, 2011]
    result = runner.invoke(
        app, ["tables", "participation-study", "--source", "wiod2013", "--path", str(wiod_dir),
              "--years", "2009-2011", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "participation-study_participation.csv")
    assert "medhigh_tech_mfg: gvc_forward" in table.columns
    assert table["medhigh_tech_mfg: gvc_backward"].between(0, 100).all()
    bad = runner.invoke(
        app, ["tables", "linkage-study", "--source", "wiod2013", "--path", str(wiod_dir),
              "--years", "2010-2011", "--link-years", "2005", "--out", str(out)],
    )  # fmt: skip
    assert bad.exit_code == 2 and "unknown year(s) 2005" in " ".join(bad.output.split())


def test_adb_derived_definitions_consistent():
    """ADB-MRIO outputs cannot be recomputed from WIOD; check that their published columns obey
    the definitions our code implements (§4.4, §5, §6.1)."""
    base = require_shared("data/adb_mrio_derived/ksreyes_mrio_processing")
    gvcp = pd.read_parquet(base / "gvcp.parquet")
    ok = gvcp["Exports"] > 0
    g = gvcp[ok]
    assert np.allclose(g["GVCP_trade"], g["GVCP_trade_f"] + g["GVCP_trade_b"], rtol=1e-9)
    assert np.allclose(g["GVCP_trade_f"], g["GVC_trade_f"] / g["Exports"], rtol=1e-9)
    v = gvcp[gvcp["va"] > 0]
    assert np.allclose(v["GVCP_prod"], v["GVC_prod"] / v["va"], rtol=1e-9)
    lengths = pd.read_parquet(base / "lengths.parquet").dropna()
    assert np.allclose(
        lengths["PLv_GVC"], lengths["PLvd_GVC"] + lengths["CBv_GVC"] + lengths["PLvf_GVC"],
        rtol=1e-6,
    )  # fmt: skip
    assert np.allclose(lengths["GVC_POS"], lengths["PLv_GVC"] / lengths["PLy_GVC"], rtol=1e-9)


def test_indicators_cli_user_groups_and_satellite(tmp_path, wiod_dir, wiod2011):
    groups = tmp_path / "groups.toml"
    groups.write_text('[groups.CHIPS]\nmembers = ["TWN", "KOR", "JPN", "SGP"]\n')
    m = wiod2011
    satellite = pd.DataFrame(
        {"country": m.row_index.get_level_values(0), "sector": m.row_index.get_level_values(1),
         "value": np.abs(m.x) / 1000.0, "year": 2011}
    )  # fmt: skip
    sat_path = tmp_path / "co2.csv"
    satellite.to_csv(sat_path, index=False)
    out = tmp_path / "res"
    result = runner.invoke(
        app, ["indicators", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2011",
              "--set", "vax", "--groups", "CHIPS", "--groups-file", str(groups),
              "--satellite", str(sat_path), "--satellite-name", "co2", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    vax = pd.read_parquet(out / "vax.parquet")
    chips = vax[(vax["exporter"] == "CHIPS") & (vax["indicator"] == "vax")]["value"].iloc[0]
    members = vax[vax["exporter"].isin(["TWN", "KOR", "JPN"]) & (vax["indicator"] == "vax")
                  & (vax["level"] == "country")]["value"].sum()  # fmt: skip
    assert chips == pytest.approx(members)
    assert read_metadata(out / "vax.parquet")["missing_members"] == {"CHIPS": ["SGP"]}
    # the console says it too, not only the metadata
    assert "note: CHIPS: not in the table: SGP" in " ".join(result.output.split())
    co2 = pd.read_parquet(out / "satellite.parquet").set_index(["country", "indicator"])["value"]
    assert co2[("WORLD", "co2_cba")] == pytest.approx(co2[("WORLD", "co2_pba")], rel=1e-6)


def test_adb_rci_uses_our_definition():
    """ADB rci.parquet columns obey RCI = [W/((X+M)/2)] / [((X+M)/2)/World] — the formula of
    chainatlas.indicators.trends._rci (checked by feeding their components through it)."""
    from chainatlas.indicators.trends import _rci

    base = require_shared("data/adb_mrio_derived/ksreyes_mrio_processing")
    rci = pd.read_parquet(base / "rci.parquet")
    assert np.allclose(rci["share_within"], rci["within"] / ((rci["exports"] + rci["imports"]) / 2))
    assert np.allclose(rci["share_world"], (rci["exports"] + rci["imports"]) / 2 / rci["world"])
    for row in rci.itertuples():
        # a 2-economy flow matrix reproducing their components: region = economy 0 + 1
        flows = np.array([[0.0, row.within / 2, row.exports - row.within],
                          [row.within / 2, 0.0, 0.0],
                          [row.imports - row.within, 0.0, 0.0]])  # fmt: skip
        flows[2, 2] = 0.0
        extra = row.world - flows.sum()
        flows = np.pad(flows, ((0, 1), (0, 1)))
        flows[3, 2] = extra  # trade outside the region to reach their world total
        ours = _rci(flows, np.array([True, True, False, False]))
        assert ours["rci"] == pytest.approx(row.rci, rel=1e-9)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--exporters", "ASEAN-9,India,MEX", "unknown exporter 'India'"),
        ("--economies", "CHN,JPN,KORR", "unknown Table 3 economy 'KORR'"),
        ("--source-group", "NEAA", "unknown source group 'NEAA'"),
    ],
)
def test_linkage_study_rejects_typos_before_loading(tmp_path, wiod_dir, option, value, message):
    """A name that is neither a group nor an ISO3 code is a typo: exit 2 with one line, not a
    column of n/a (an ISO3 code the table lacks, like MNG, stays a note)."""
    result = runner.invoke(
        app, ["tables", "linkage-study", "--source", "wiod2013", "--path", str(wiod_dir),
              "--years", "2011", option, value, "--out", str(tmp_path / "t")],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "t").exists()

    def never(year):
        raise AssertionError("no table should be loaded for a bad name")

    kwargs = {
        "--exporters": {"exporters": value.split(",")},
        "--economies": {"link_economies": value.split(",")},
        "--source-group": {"source_group": value},
    }[option]
    with pytest.raises(ChainAtlasError, match=message.split(" '")[0]):
        linkage_study([2011], never, **kwargs)


def test_a_group_named_twice_is_written_once(tmp_path, wiod_dir):
    """NEA and nea, ASEAN9 and ASEAN-9 are the same groups: their rows must not be duplicated
    (a SQL SUM over the group rows would double count)."""
    out = tmp_path / "dup"
    result = runner.invoke(
        app, ["indicators", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2011",
              "--set", "vax,dependence", "--groups", "NEA,ASEAN9,ASEAN-9,nea", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    groups = pd.read_parquet(out / "groups.parquet")
    assert groups.groupby("group").size().to_dict() == {"ASEAN-9": 9, "NEA": 5}
    for name, keys in (
        ("vax", ["year", "level", "exporter", "importer", "indicator"]),
        ("dependence", ["year", "level", "country", "sector", "source", "indicator"]),
    ):
        frame = pd.read_parquet(out / f"{name}.parquet")
        assert not frame.duplicated(keys).any(), name
    assert result.output.count("note: NEA:") == 1


@pytest.mark.parametrize("study", ["linkage-study", "participation-study"])
def test_tables_cli_out_must_be_a_directory(tmp_path, wiod_dir, study):
    target = tmp_path / "file.csv"
    target.write_text("keep me")
    result = runner.invoke(
        app, ["tables", study, "--source", "wiod2013", "--path", str(wiod_dir),
              "--years", "2011", "--out", str(target)],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "--out must be a directory" in " ".join(result.output.split())
    assert target.read_text() == "keep me"
