"""`chainatlas scenario run` with tariff lists given as HS codes, on WIOD 2011."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hs_helpers import build_store, hand_coverage, shared
from typer.testing import CliRunner

from chainatlas.interfaces.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    concordances = shared("data/concordances")
    folder = tmp_path_factory.mktemp("cli_hs")
    build_store(folder, concordances)  # folder/store/trade.duckdb
    (folder / "list_a.txt").write_text("# list A, as published\n8471.30.01\n8471.50\n")
    scenario = folder / "hs.toml"
    scenario.write_text(
        f"""
[table]
source = "wiod2013"
year = 2011

[trade]
store = "store/trade.duckdb"
concordances = "{concordances.as_posix()}"

[[shocks]]
id = "hs_lists"
kind = "tariff"

  [[shocks.rates]]
  label = "List A"
  exporters = ["CHN"]
  importers = ["USA"]
  rate = 0.25
  hs_codes_file = "list_a.txt"

  [[shocks.rates]]
  label = "List B"
  exporters = ["CHN"]
  importers = ["USA"]
  rate = 0.1
  hs_codes = ["8703", "10"]
"""
    )
    return folder, scenario, concordances


def test_run_computes_coverage_from_the_store(files, wiod_dir):
    from chainatlas.trade.bridge import isic_sector_map

    folder, scenario, concordances = files
    out = folder / "out"
    args = ["scenario", "run", str(scenario), "--out", str(out), "--path", str(wiod_dir)]
    result = runner.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    mapping = isic_sector_map("wiod2013", concordance_dir=concordances, wiod_dir=wiod_dir)
    sector_of = mapping.set_index("hs6")["sector"].to_dict()
    cov = pd.read_csv(out / "tariff_coverage.csv")
    assert set(cov["exporter"]) == {"CHN"} and set(cov["importer"]) == {"USA"}
    for label, codes in (("List A", ["847130", "847150"]), ("List B", ["8703", "10"])):
        ours = cov[cov["rate_label"] == label].set_index("sector")["coverage"]
        expected = hand_coverage(codes, sector_of, column=1)
        assert set(ours.index) == set(expected)
        for sector, share in expected.items():
            assert ours[sector] == pytest.approx(share, rel=1e-12), (label, sector)
    prices = pd.read_csv(out / "prices_country.csv").set_index("country")
    assert prices.loc["USA", "output_cost_index"] > 1
    assert prices["output_cost_index"].min() >= 1 - 1e-12
    notes = pd.read_csv(out / "notes.csv")["note"]
    assert notes.str.contains("List A: 2 HS code").any()
    check = runner.invoke(app, ["scenario", "check", str(scenario), "--path", str(wiod_dir)])
    assert check.exit_code == 0 and "OK" in check.output


def test_pair_without_trade_exits_2_naming_it(files, wiod_dir, tmp_path):
    folder, _scenario, concordances = files
    bad = tmp_path / "row.toml"
    bad.write_text(
        f"""
[table]
source = "wiod2013"
year = 2011

[trade]
concordances = "{concordances.as_posix()}"

[[shocks]]
kind = "tariff"

  [[shocks.rates]]
  exporters = ["CHN"]
  importers = ["USA", "JPN"]
  rate = 0.25
  hs_codes = ["84"]
"""
    )
    store = folder / "store" / "trade.duckdb"
    args = ["scenario", "run", str(bad), "--out", str(tmp_path / "out"), "--path", str(wiod_dir)]
    result = runner.invoke(app, [*args, "--trade-store", str(store)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if "CHN to JPN" in line]
    assert len(lines) == 1 and "shocks[1].rates[1].hs_codes" in lines[0]
    assert "USA" not in lines[0].split("CHN to JPN")[1].split(":")[0]
    no_store = runner.invoke(app, args)  # neither [trade] store nor --trade-store
    assert no_store.exit_code == 2 and "hs_codes need a trade store" in no_store.output


EXAMPLE = (Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "section301_hs"
           / "us_section301_hs_lists.toml")  # fmt: skip


def test_section301_example_runs_on_user_lists(wiod_dir, tmp_path):
    """The packaged example with the user's list files (tiny stand-ins here) and store."""
    from chainatlas.trade.bridge import isic_sector_map

    concordances = shared("data/concordances")
    db = build_store(tmp_path / "data", concordances, year=2018)
    work = tmp_path / "example"
    (work / "lists").mkdir(parents=True)
    text = EXAMPLE.read_text()
    # the concordances come from the environment in real use; the test names them
    text = text.replace("[trade]\n", f'[trade]\nconcordances = "{concordances.as_posix()}"\n')
    (work / EXAMPLE.name).write_text(text)
    stand_ins = {"list1": ["8471.30.01"], "list2": ["8708.99"], "list3": ["8703.23.01"],
                 "list4a": ["9403.60.80"]}  # fmt: skip
    for name, codes in stand_ins.items():
        (work / "lists" / f"{name}.txt").write_text("# test stand-in\n" + "\n".join(codes) + "\n")
    out = tmp_path / "out"
    args = ["scenario", "run", str(work / EXAMPLE.name), "--out", str(out),
            "--path", str(wiod_dir), "--trade-store", str(db), "--format", "csv"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    cov = pd.read_csv(out / "tariff_coverage.csv", dtype={"rate_label": str})
    assert set(cov["trade_year"]) == {2018}
    sector_of = isic_sector_map("wiod2013", concordance_dir=concordances, wiod_dir=wiod_dir)
    sector_of = sector_of.set_index("hs6")["sector"].to_dict()
    for label, codes in (("List 1", ["847130"]), ("List 4A", ["940360"])):
        ours = cov[cov["rate_label"].str.startswith(label + " ")].set_index("sector")["coverage"]
        for sector, share in hand_coverage(codes, sector_of, column=1).items():
            assert ours[sector] == pytest.approx(share, rel=1e-12), (label, sector)
    missing = runner.invoke(app, [*args[:-4], "--format", "csv"])  # no store given
    assert missing.exit_code == 2 and "hs_codes need a trade store" in missing.output
