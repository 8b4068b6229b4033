"""`chainatlas scenario run|check` as a user meets it (CliRunner on the main app)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainatlas.interfaces.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["scenario", *args])


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_check_accepts_every_example(wiod_dir, example):
    result = invoke("check", str(EXAMPLES / example), "--path", str(wiod_dir))
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_run_writes_tables_and_summary(wiod_dir, tmp_path):
    out = tmp_path / "out"
    file = EXAMPLES / "relocation_china_assembly.toml"
    result = invoke("run", str(file), "--out", str(out), "--path", str(wiod_dir))
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"country.parquet", "country_sector.parquet", "groups.parquet", "notes.parquet",
            "summary.md"} <= names  # fmt: skip
    country = pd.read_parquet(out / "country.parquet")
    assert set(country["measure"]) == {"gross_output", "gdp", "exports", "vax"}
    assert len(country) == 4 * 41
    summary = (out / "summary.md").read_text()
    assert "VNM is not in wiod2013 2011" in summary  # WIOD 2013 has no Viet Nam: say so
    # world GDP conserved by relocation (GDP = final demand, which is unchanged)
    gdp = country[country["measure"] == "gdp"]
    assert abs(gdp["change"].sum()) <= 1e-6 * gdp["base"].sum()


def test_run_tariff_example_csv(wiod_dir, tmp_path):
    out = tmp_path / "tariff"
    file = EXAMPLES / "us_tariff_lists_china.toml"
    result = invoke("run", str(file), "--out", str(out), "--path", str(wiod_dir), "--format", "csv")
    assert result.exit_code == 0, result.output
    prices = pd.read_csv(out / "prices_country.csv")
    usa = prices.set_index("country").loc["USA"]
    assert usa["output_cost_index"] > 1 and usa["imported_final_goods_price_index"] > 1
    assert prices["output_cost_index"].min() >= 1.0 - 1e-12


BAD = {
    "share.toml": (
        '[table]\nsource = "wiod2013"\nyear = 2011\n[[shocks]]\nkind = "relocation"\n'
        'country = "CHN"\nsectors = ["c4"]\nshare = 1.2\ndestinations = ["VNM"]\n',
        ["shocks[1].share: is a share and must lie in [0, 1], got 1.2"],
    ),
    "labels.toml": (
        '[table]\nsource = "wiod2013"\nyear = 2011\n[[shocks]]\nkind = "supply_cut"\n'
        'suppliers = ["CHN", "ATLANTIS"]\nsupplier_sectors = ["c99"]\n'
        '[[shocks]]\nkind = "extraction"\ncountries = ["JPN"]\nmode = "sideways"\n',
        ["shocks[1].suppliers[2]: unknown country or group 'ATLANTIS'",
         "shocks[1].supplier_sectors: unknown sector 'c99'", "shocks[2].mode: must be one of"],
    ),
    "syntax.toml": ("[table\n", ["not valid TOML"]),
    "year.toml": (
        '[table]\nsource = "wiod2013"\nyear = 1066\n[[shocks]]\nkind = "demand"\nchange = 0.1\n',
        ["table: cannot load wiod2013 1066"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("command", ["check", "run"])
@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_exit_2_with_clear_messages(wiod_dir, tmp_path, command, name):
    text, fragments = BAD[name]
    file = tmp_path / name
    file.write_text(text)
    args = [command, str(file), "--path", str(wiod_dir)]
    out = tmp_path / "out"
    if command == "run":
        args += ["--out", str(out)]
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert str(file) in message
    for fragment in fragments:
        assert fragment in message, fragment
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_file_exit_2(tmp_path):
    result = invoke("check", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2 and "scenario file not found" in result.output


def test_python_api_several_years(wiod_dir):
    from chainatlas.scenarios import run_scenario

    raw = {
        "scenario": {"name": "two years"},
        "table": {"source": "wiod2013", "years": [2010, 2011]},
        "outputs": {"tables": ["country"]},
        "shocks": [{"kind": "demand", "countries": "USA", "destinations": "USA", "change": -0.01}],
    }
    result = run_scenario(raw, path=wiod_dir)
    country = result.tables["country"]
    assert sorted(country["year"].unique()) == [2010, 2011]
    assert "country_sector" not in result.tables  # only the tables asked for (+ notes)
    assert "## shock1 (demand, 2010)" in result.summary_markdown
    assert "## shock1 (demand, 2011)" in result.summary_markdown
    # A fall in US final demand for US goods lowers US output most, in both years
    usa = country[(country["country"] == "USA") & (country["measure"] == "gross_output")]
    assert (usa["change"] < 0).all() and (usa["rank_abs_change"] == 1).all()


def test_results_directory_is_servable_by_the_web_catalog(wiod_dir, tmp_path):
    catalog_module = pytest.importorskip("chainatlas.interfaces.web.catalog")
    out = tmp_path / "tariff"
    file = EXAMPLES / "us_tariff_lists_china.toml"
    assert invoke("run", str(file), "--out", str(out), "--path", str(wiod_dir)).exit_code == 0
    catalog = catalog_module.ResultsCatalog(out)
    assert {"prices_country", "prices_country_sector"} <= set(catalog.tables)


def test_rerun_into_the_same_directory_leaves_no_stale_tables(wiod_dir, tmp_path):
    """A second scenario (another kind, another format) written into the directory of an
    earlier run must not leave the earlier run's tables next to its own summary — the web
    atlas and users read every table in the directory as this scenario's result."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "my_notes.csv").write_text("kept\n")  # a user's own file is never touched
    reloc = EXAMPLES / "relocation_china_assembly.toml"
    tariff = EXAMPLES / "us_tariff_lists_china.toml"
    assert invoke("run", str(reloc), "--out", str(out), "--path", str(wiod_dir)).exit_code == 0
    assert (out / "country.parquet").exists()
    result = invoke(
        "run", str(tariff), "--out", str(out), "--path", str(wiod_dir), "--format", "csv"
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert names == {
        "my_notes.csv", "prices_country.csv", "prices_country_sector.csv", "notes.csv",
        "summary.md",
    }  # fmt: skip
    assert "Section-301" in (out / "summary.md").read_text()


def test_tables_in_a_directory_without_a_scenario_summary_are_kept(small, tmp_path):
    """Only a directory marked by an earlier scenario summary.md is cleaned."""
    from chainatlas.scenarios import run_scenario

    out = tmp_path / "mine"
    out.mkdir()
    (out / "prices_country.csv").write_text("a user's own file\n")
    raw = {
        "table": {"source": "test", "year": 2011},
        "outputs": {"tables": ["country"]},
        "shocks": [{"kind": "demand", "countries": "CHN", "change": -0.1}],
    }
    run_scenario(raw, model=small).write(out, fmt="csv")
    assert (out / "prices_country.csv").read_text() == "a user's own file\n"
    assert (out / "country.csv").exists()


def test_table_columns_in_the_documented_order(small):
    """docs/scenarios.md: keys, base, new, change, pct_change, then the split."""
    from chainatlas.scenarios import run_scenario

    raw = {
        "table": {"source": "test", "year": 2011},
        "outputs": {"groups": ["BRICS"]},
        "shocks": [{"kind": "demand", "countries": "CHN", "change": -0.1}],
    }
    tables = run_scenario(raw, model=small).tables
    head = ["scenario", "shock", "kind", "year"]
    numbers = ["base", "new", "change", "pct_change", "direct", "indirect"]
    numbers += ["indirect_domestic", "indirect_foreign"]
    assert list(tables["country_sector"].columns) == [
        *head, "country", "sector", "measure", *numbers, "value"
    ]  # fmt: skip
    assert list(tables["country"].columns) == [
        *head, "country", "measure", *numbers,
        "share_of_world_change", "rank_abs_change", "rank_pct_change", "value",
    ]  # fmt: skip
    assert list(tables["groups"].columns) == [
        *head, "group", "measure", *numbers, "members", "membership_note", "value"
    ]  # fmt: skip


def test_out_below_a_file_is_one_clear_error(small, tmp_path):
    """--out inside a path whose parent is a file: exit 2 with one line, no traceback."""
    from chainatlas.errors import ChainAtlasError
    from chainatlas.scenarios import run_scenario

    (tmp_path / "afile").write_text("")
    raw = {
        "table": {"source": "test", "year": 2011},
        "outputs": {"tables": ["country"]},
        "shocks": [{"kind": "demand", "countries": "CHN", "change": -0.1}],
    }
    result = run_scenario(raw, model=small)
    with pytest.raises(
        ChainAtlasError, match=r"afile/sub/country\.parquet: cannot write here \(Not a"
    ):
        result.write(tmp_path / "afile" / "sub")


def test_summary_numbers_never_show_minus_zero():
    """A direct change of -1e-12 (rounding) printed as '-0.0' reads as a loss."""
    from chainatlas.scenarios.runner import _fmt

    assert _fmt(-1e-12, 1) == "0.0" and _fmt(-0.0004, 3) == "0.000"
    assert _fmt(-0.06, 1) == "-0.1" and _fmt(-1234.4) == "-1,234" and _fmt(float("nan")) == "–"


def test_check_reports_every_problem_of_the_new_kinds(wiod_dir, tmp_path):
    file = tmp_path / "bad.toml"
    file.write_text(
        '[table]\nsource = "wiod2013"\nyear = 2011\n\n'
        '[[shocks]]\nkind = "supply_constrained"\nsuppliers = "CHN"\nchange = -0.02\n'
        'substitution = 2.0\nrationing = "lottery"\nsupplier_sectors = ["c99"]\n\n'
        '[[shocks]]\nkind = "dynamic"\ncountries = ["XXX"]\ncapacity_loss = 0.1\n'
        "rebuilding_sectors = { c18 = 0.5 }\n",
        encoding="utf-8",
    )
    result = invoke("check", str(file), "--path", str(wiod_dir))
    assert result.exit_code == 2
    for key in ("shocks[1].substitution", "shocks[1].rationing", "shocks[2].rebuilding_sectors"):
        assert key in result.output, key
    assert "Traceback" not in result.output
    # labels are checked against the table once the structure is valid
    file.write_text(
        '[table]\nsource = "wiod2013"\nyear = 2011\n\n'
        '[[shocks]]\nkind = "supply_constrained"\nsuppliers = "CHN"\nchange = -0.02\n'
        'supplier_sectors = ["c99"]\n\n'
        '[[shocks]]\nkind = "dynamic"\ncountries = ["XXX"]\ncapacity_loss = 0.1\n'
        'event = "recovery"\n',
        encoding="utf-8",
    )
    result = invoke("check", str(file), "--path", str(wiod_dir))
    assert result.exit_code == 2
    assert "shocks[1].supplier_sectors" in result.output and "shocks[2].countries" in result.output
    assert str(file) in result.output
