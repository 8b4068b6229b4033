"""Arrow writers: the CSV reads back as pandas' own CSV does, float64 bits exactly; the
one-year decompose path writes what the runner path writes, without importing pandas."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from chainatlas.decompositions import decomposition
from chainatlas.decompositions.columns import decomposition_columns
from chainatlas.decompositions.levels import LEVELS
from chainatlas.execution.synthetic import synthetic_table
from chainatlas.util.fast_write import Labels, write_csv_columns, write_parquet_columns
from chainatlas.util.files import write_table
from cli_process import decompose_process

AWKWARD_FLOATS = [
    0.1, 1e-5, 123.0, 1 / 3, -0.0, 0.0, 1e22, 5e-324, 2.5e15, 12345678901234567.0,
    -1.7976931348623157e308, 2.2250738585072014e-308, np.nan, np.inf, -np.inf, 1e16, 1e-7,
]  # fmt: skip


def read_both(frame: pd.DataFrame, tmp_path) -> tuple[pd.DataFrame, pd.DataFrame]:
    theirs, ours = tmp_path / "pandas.csv", tmp_path / "arrow.csv"
    frame.to_csv(theirs, index=False)
    write_table(frame, ours)
    return pd.read_csv(theirs), pd.read_csv(ours)


def test_csv_reads_back_like_pandas_own(tmp_path):
    rng = np.random.default_rng(1)
    n = len(AWKWARD_FLOATS)
    frame = pd.DataFrame(
        {
            "year": 2011,
            "country": ["AUS", None, "CHN", "", *["DEU"] * (n - 4)],
            "value": AWKWARD_FLOATS,
            "noise": rng.normal(size=n) * 10.0 ** rng.integers(-300, 300, size=n),
            "whole": np.arange(n, dtype=np.float64) * 1000.0,  # every value integral
            "count": np.arange(n),
            "flag": np.arange(n) % 2 == 0,
            "unsigned": np.arange(n, dtype=np.uint8),
        }
    )
    expected, got = read_both(frame, tmp_path)
    pd.testing.assert_frame_equal(got, expected)
    # exactly the float64 bits written
    for name in ("value", "noise", "whole"):
        written = frame[name].to_numpy()
        back = got[name].to_numpy()
        assert back.dtype == np.float64
        same = (back == written) | (np.isnan(back) & np.isnan(written))
        assert same.all(), name
        assert (np.signbit(back) == np.signbit(written)).all() or name != "value"
    header = (tmp_path / "arrow.csv").read_text().splitlines()[0]
    assert header == "year,country,value,noise,whole,count,flag,unsigned"


def test_small_tables_are_byte_for_byte_pandas(tmp_path):
    frame = pd.DataFrame({"year": 2011, "exporter": ["AUS", None, "CHN"],
                          "value": [0.1, np.nan, -0.0], "flag": [True, False, True]})
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    write_table(frame, tmp_path / "ours.csv")
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


def test_large_tables_through_arrow_read_back_exactly(tmp_path):
    from chainatlas.util import fast_write

    rng = np.random.default_rng(7)
    n = fast_write.SMALL_TABLE_ROWS + 1000
    frame = pd.DataFrame(
        {
            "year": 2011,
            "exporter": rng.choice(["AUS", "CHN", "USA"], size=n),
            "value": np.concatenate([
                AWKWARD_FLOATS,
                rng.normal(size=n - len(AWKWARD_FLOATS))
                * 10.0 ** rng.integers(-300, 300, size=n - len(AWKWARD_FLOATS)),
            ]),
            "whole": np.arange(n, dtype=np.float64),
            "flag": np.arange(n) % 3 == 0,
        }
    )
    expected, got = read_both(frame, tmp_path)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["whole"].dtype == np.float64


def test_labels_needing_quotes_and_odd_columns_fall_back(tmp_path):
    frame = pd.DataFrame({"name": ['Agriculture, "Hunting"', "line\nbreak"], "v": [1.5, 2.0]})
    expected, got = read_both(frame, tmp_path)
    pd.testing.assert_frame_equal(got, expected)
    dated = pd.DataFrame({"when": pd.to_datetime(["2011-01-01", "2012-01-01"]), "v": [1, 2]})
    expected, got = read_both(dated, tmp_path)
    pd.testing.assert_frame_equal(got, expected)
    empty = pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)})
    write_table(empty, tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_text() == "a,b\n"


def test_column_writers_from_arrays(tmp_path):
    columns = {
        "year": 2011,
        "exporter": Labels(np.array([0, 1, 1, -1]), ["AUS", "CHN"]),
        "term": "DVA",
        "value": np.array([0.5, np.nan, -0.0, 3.0]),
    }
    write_csv_columns(columns, tmp_path / "t.csv")
    write_parquet_columns(columns, tmp_path / "t.parquet")
    expected = pd.DataFrame(
        {
            "year": [2011] * 4,
            "exporter": ["AUS", "CHN", "CHN", None],
            "term": ["DVA"] * 4,
            "value": [0.5, np.nan, -0.0, 3.0],
        }
    )
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "t.csv"), expected, check_dtype=False)
    back = pd.read_parquet(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    assert back["year"].dtype == np.int64 and back["value"].dtype == np.float64


@pytest.fixture(scope="module")
def small_model():
    return synthetic_table(5, 4, seed=3)


@pytest.mark.parametrize("method", ["wwz", "bm-source", "bm-sink", "tiva", "kww"])
@pytest.mark.parametrize("wide", [False, True])
def test_columns_equal_to_frame_at_every_level(small_model, method, wide, tmp_path):
    result = decomposition(small_model, method)
    levels = ("country", "world") if result.country_level_only else LEVELS
    for level in levels:
        expected = result.to_frame(level, wide=wide)
        write_csv_columns(decomposition_columns(result, level, wide=wide), tmp_path / "c.csv")
        got = pd.read_csv(tmp_path / "c.csv")
        reference = tmp_path / "f.csv"
        expected.to_csv(reference, index=False)
        pd.testing.assert_frame_equal(got, pd.read_csv(reference), check_exact=True)
        assert list(got.columns) == list(expected.columns)


def test_one_year_cli_writes_what_the_runner_writes(wiod_dir, tmp_path, monkeypatch):
    from chainatlas.interfaces.cli.decompose import run_decompose

    # one table cache for both sides, so both use the same bits of B (a B computed with
    # another BLAS thread count may differ in the last bit)
    monkeypatch.setenv("CHAINATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("CHAINATLAS_NO_CACHE", raising=False)
    env = dict(os.environ)
    code = (
        "import sys\n"
        "from chainatlas.interfaces.cli.main import run\n"
        "try:\n"
        "    run(sys.argv[1:])\n"
        "finally:\n"
        "    heavy = [m for m in ('pandas', 'scipy', 'dask', 'rich') if m in sys.modules]\n"
        "    print('HEAVY', heavy if heavy else 'NO-PANDAS', file=sys.stderr)\n"
    )
    for method, level in (("wwz", "sector"), ("bm-sink", "bilateral"), ("kww", "country")):
        out = tmp_path / f"{method}.csv"
        args = [
            "decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011",
            "--method", method, "--level", level, "--out", str(out),
        ]  # fmt: skip
        for _ in range(2):  # the second run reads the table cache: no pandas, SciPy, Dask nor rich
            done = subprocess.run(
                [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr
        assert "NO-PANDAS" in done.stderr
        expected = run_decompose("wiod2013", str(wiod_dir), [2011], method, level)
        reference = tmp_path / "reference.csv"
        expected.to_csv(reference, index=False)
        written, runner = pd.read_csv(out), pd.read_csv(reference)
        keys = [c for c in runner.columns if c != "value"]
        # same rows, keys and order exactly; values to float precision of the largest term
        # (in a long suite the in-process B can come from another BLAS thread count than the
        # subprocess's, which moves last bits; cancellation in small terms magnifies them)
        pd.testing.assert_frame_equal(written[keys], runner[keys], check_exact=True)
        scale = float(np.abs(runner["value"]).max())
        np.testing.assert_allclose(written["value"], runner["value"], rtol=0, atol=1e-12 * scale)
        for line in expected.attrs["notes"]:
            assert line in done.stderr


def test_panel_cli_writes_what_the_runner_writes(wiod_dir, tmp_path, monkeypatch):
    from chainatlas.interfaces.cli.decompose import run_decompose
    from chainatlas.interfaces.cli.main import run

    monkeypatch.setenv("CHAINATLAS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "panel.parquet"
    run(["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2010-2011",
         "--method", "bm-source", "--level", "country", "--out", str(out)])  # fmt: skip
    expected = run_decompose("wiod2013", str(wiod_dir), [2010, 2011], "bm-source", "country")
    got = pd.read_parquet(out)
    assert list(got["year"].unique()) == [2010, 2011]
    # same rows, keys and order exactly; values to float precision of the largest term: the
    # CLI decomposes a panel's years side by side with one BLAS thread each, the runner with
    # BLAS's own thread count, and the two move last bits
    keys = [c for c in expected.columns if c != "value"]
    pd.testing.assert_frame_equal(got[keys], expected[keys], check_exact=True, check_dtype=False)
    scale = float(np.abs(expected["value"]).max())
    np.testing.assert_allclose(got["value"], expected["value"], rtol=0, atol=1e-12 * scale)


def test_panel_with_a_damaged_year_is_one_error_and_no_file(wiod_dir, tmp_path):
    # panels parse the next year on a worker thread: its error must still reach the user as
    # one line naming the file (exit 2), and no partial output may be left
    import shutil

    tables = tmp_path / "wiod"
    tables.mkdir()
    shutil.copyfile(wiod_dir / "wiot_2010.RData", tables / "wiot_2010.RData")
    (tables / "wiot_2011.RData").write_bytes((wiod_dir / "wiot_2011.RData").read_bytes()[:200_000])
    out = tmp_path / "panel.csv"
    result = decompose_process(tables, "2010-2011", "wwz", "country", out, tmp_path / "cache")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "wiot_2011.RData" in result.stderr and "cannot read R data file" in result.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "wiod"]


def test_console_script_ends_at_once_with_everything_written(wiod_dir, tmp_path):
    # the decompose fast path marks itself done and the console script skips the teardown
    # (interfaces/cli/finish.py): the piped messages and the file must still be complete
    out = tmp_path / "kww.csv"
    done = decompose_process(
        wiod_dir, "2011", "kww", "country", out, tmp_path / "cache",
        module="chainatlas.interfaces.cli.entry",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = len(pd.read_csv(out))
    assert done.stdout == f"wrote {rows:,} rows to {out}\n"
    assert done.stderr.startswith("notes:\n")
    assert done.stderr.endswith("KWW terms are defined at country level only\n")
    from chainatlas.interfaces.cli import finish

    finish.mark_done()  # an in-process run never exits the process: entry.run resets the mark
    finish.reset()
    finish.exit_if_done()  # returns: nothing marked


@pytest.mark.parametrize(("before", "after"), [(None, "4"), ("12", "12")])
def test_console_script_sets_openblas_idle_threads_to_sleep(monkeypatch, before, after):
    # entry.run sets OPENBLAS_THREAD_TIMEOUT before NumPy loads (a user's value is kept)
    from chainatlas.interfaces.cli import entry

    if before is None:
        monkeypatch.delenv("OPENBLAS_THREAD_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_THREAD_TIMEOUT", before)
    monkeypatch.setattr(sys, "argv", ["chainatlas", "no-such-command"])
    with pytest.raises(SystemExit) as exit_info:
        entry.run()
    assert exit_info.value.code == 2
    assert os.environ["OPENBLAS_THREAD_TIMEOUT"] == after
