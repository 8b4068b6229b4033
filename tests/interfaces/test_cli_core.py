"""CLI behaviour every command shares: user errors exit 2 with one line and no traceback."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from chainatlas.interfaces.cli.main import app, run

runner = CliRunner()


def run_cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", *args],
        capture_output=True,
        text=True,
    )


def test_help_lists_core_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("decompose", "demo"):
        assert command in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nosuch", "--year", "2011"], "unknown source 'nosuch'"),
        (["--source", "wiod2013", "--year", "1990"], "unknown year(s) 1990"),
        (["--source", "wiod2013", "--year", "2011", "--method", "abc"], "unknown method 'abc'"),
        (["--source", "wiod2013", "--year", "2011", "--level", "xyz"], "unknown level 'xyz'"),
        (["--source", "wiod2013", "--year", "20x1"], "bad year or range '20x1'"),
    ],
)
def test_decompose_user_errors_exit_2_without_traceback(tmp_path, wiod_dir, args, message):
    out = tmp_path / "out.csv"
    result = run_cli(["decompose", "--path", str(wiod_dir), *args, "--out", str(out)])
    assert result.returncode == 2, result.stderr
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_bad_output_suffix(tmp_path, wiod_dir):
    result = run_cli(
        ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011",
         "--out", str(tmp_path / "out.json")]
    )  # fmt: skip
    assert result.returncode == 2
    assert "must end in .csv, .parquet, .xlsx, .dta" in result.stderr


def test_decompose_to_excel_has_the_table_and_its_notes(tmp_path, wiod_dir, wiod2011):
    import pandas as pd

    import chainatlas

    out = tmp_path / "kww.xlsx"
    result = run_cli(
        ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011",
         "--method", "kww", "--level", "country", "--out", str(out)]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    sheets = pd.read_excel(out, sheet_name=None, engine="openpyxl")
    assert list(sheets) == ["data", "notes"]
    expected = chainatlas.decompose(wiod2011, "kww", "country")
    got = sheets["data"].set_index(["exporter", "term"])["value"]
    want = expected.set_index(["exporter", "term"])["value"]
    pd.testing.assert_series_equal(got.loc[want.index], want, rtol=1e-12)


def test_missing_option_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        run(["decompose", "--source", "wiod2013"])
    assert info.value.code == 2


def test_existing_output_survives_a_failed_run(tmp_path, wiod_dir):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    result = run_cli(
        ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "1990",
         "--out", str(out)]
    )  # fmt: skip
    assert result.returncode == 2
    assert out.read_text() == "precious\n"


def test_decompose_country_level_csv(tmp_path, wiod_dir):
    out = tmp_path / "kww.csv"
    result = run_cli(
        ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011",
         "--method", "kww", "--level", "country", "--out", str(out)]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["year", "exporter", "term", "value"]
    assert set(frame["exporter"]) >= {"CHN", "USA", "ROW"}
    assert frame["term"].nunique() == 9


def test_decompose_prints_the_tables_notes_on_stderr(tmp_path, wiod_dir):
    """2005: the rounded WIOD copy has zero-output sectors that trade; the user is told."""
    out = tmp_path / "wwz.parquet"
    result = run_cli(
        ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2005",
         "--method", "wwz", "--out", str(out)]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2005: rebalanced" in result.stderr
    assert "terms sum to gross exports minus 5" in result.stderr
    assert "notes" not in result.stdout.lower()
