"""Never lose or misreport (issue 14, item 2): outputs that are inputs, stale or damaged
partitions, and runs killed in the middle of a write."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from safety_helpers import (
    assert_one_line_error,
    cli,
    edit_keeping_size_and_mtime,
    scale_z,
    write_wide,
)

from chainatlas.execution.store import PART_FILE, PartitionStore

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
YEARS = (2018, 2019, 2020)


def panel(base: Path, seed: int = 11) -> Path:
    for offset, year in enumerate(YEARS):
        write_wide(base / str(year), seed=seed + offset, year=year)
    return base


def decompose(path: Path, out: Path, year: str = "2018-2020") -> tuple[int, str, str]:
    return cli(
        "decompose", "--source", "generic", "--path", path, "--year", year,
        "--method", "wwz", "--level", "country", "--out", out,
    )  # fmt: skip


def results(out: Path) -> pd.DataFrame:
    frame = PartitionStore(out).read("wwz_country")
    return frame.sort_values(list(frame.columns[:-1])).reset_index(drop=True)


# ---------------------------------------------------------------------- output = input
def test_decompose_out_naming_the_input_table_is_refused_and_the_input_kept(tmp_path):
    table = write_wide(tmp_path / "t")
    before = (table / "Z.csv").read_bytes()
    result = decompose(table, table / "Z.csv", year="2020")
    assert_one_line_error(result, "Z.csv", "overwrite")
    assert (table / "Z.csv").read_bytes() == before
    # the input directory itself as the partitioned output is refused too
    assert_one_line_error(decompose(table, table, year="2020"), "input")


def test_trade_and_scenario_outputs_that_are_inputs_are_refused(tmp_path):
    db = tmp_path / "trade.duckdb"
    db.write_bytes(b"not touched")
    result = cli("trade", "topk", "--db", db, "--out", db)
    assert_one_line_error(result, "--db")
    assert db.read_bytes() == b"not touched"
    spec = tmp_path / "s.toml"
    spec.write_text("x = 1\n")
    assert_one_line_error(cli("scenario", "run", spec, "--out", tmp_path / "s.toml"), "")
    assert spec.read_text() == "x = 1\n"


# ---------------------------------------------------------------------- fingerprints
def test_rerun_after_the_input_was_edited_recomputes(tmp_path):
    base, out = panel(tmp_path / "tables"), tmp_path / "out"
    code, stdout, _ = decompose(base, out)
    assert code == 0 and "3 year(s) computed" in stdout
    first = results(out)
    code, stdout, _ = decompose(base, out)
    assert code == 0 and "0 year(s) computed" in stdout and "3 already done" in stdout
    scale_z(base / "2019", 1.5)  # the user edits one year's table
    code, stdout, err = decompose(base, out)
    assert code == 0, err
    assert "1 year(s) computed (1 recomputed" in stdout and "2 already done" in stdout
    assert "Z.csv" in err  # says which input changed
    second = results(out)
    fresh_out = tmp_path / "fresh"
    assert decompose(base, fresh_out)[0] == 0
    pd.testing.assert_frame_equal(second, results(fresh_out))
    changed = second["value"].to_numpy() != first["value"].to_numpy()
    assert set(second.loc[changed, "year"]) == {2019}


def test_rerun_with_another_table_recomputes_every_year(tmp_path):
    out = tmp_path / "out"
    assert decompose(panel(tmp_path / "a", seed=1), out)[0] == 0
    code, stdout, _ = decompose(panel(tmp_path / "b", seed=50), out)
    assert code == 0 and "3 year(s) computed (3 recomputed" in stdout
    fresh = tmp_path / "fresh"
    assert decompose(tmp_path / "b", fresh)[0] == 0
    pd.testing.assert_frame_equal(results(out), results(fresh))


def test_truncated_partition_is_recomputed_not_skipped(tmp_path):
    base, out = panel(tmp_path / "tables"), tmp_path / "out"
    assert decompose(base, out)[0] == 0
    expected = results(out)
    part = out / "wwz_country" / "year=2019" / PART_FILE
    part.write_bytes(part.read_bytes()[:100])
    code, stdout, err = decompose(base, out)
    assert code == 0 and "1 recomputed" in stdout, stdout + err
    assert "does not read back" in err
    pd.testing.assert_frame_equal(results(out), expected)
    with duckdb.connect(str(out / "results.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM wwz_country").fetchone()[0] == len(expected)


def test_marker_records_the_fingerprint(tmp_path):
    base, out = panel(tmp_path / "tables"), tmp_path / "out"
    assert decompose(base, out, year="2020")[0] == 0
    (marker,) = (out / "_chainatlas" / "units").glob("*.json")
    fingerprint = json.loads(marker.read_text())["fingerprint"]
    assert fingerprint["source"] == "generic" and fingerprint["params"]["level"] == "country"
    assert "2020/Z.csv" in fingerprint["inputs"] and fingerprint["code_version"]


def _bump_first_value(z_csv: Path) -> None:
    """Change the leading digit of Z's first value, keeping the file's size and mtime."""
    line = z_csv.read_bytes().split(b"\n")[1]
    cell = line.split(b",")[1]
    digit = b"8" if cell[:1] == b"9" else b"9"
    edit_keeping_size_and_mtime(z_csv, line, line.replace(cell, digit + cell[1:], 1))


def test_same_size_same_mtime_edit_of_a_yearless_table_file_recomputes(tmp_path):
    """A one-year table whose file names carry no year (Z.csv, meta.toml with year = 2020):
    those files used to enter the fingerprint by size and mtime only."""
    table, out = write_wide(tmp_path / "t", year=2020), tmp_path / "out"
    code, stdout, err = decompose(table, out, year="2020")
    assert code == 0, err
    first = results(out)
    assert decompose(table, out, year="2020")[1].count("already done") == 1
    _bump_first_value(table / "Z.csv")
    code, stdout, err = decompose(table, out, year="2020")
    assert code == 0, err
    assert "1 recomputed" in stdout and "Z.csv" in err, stdout + err
    second = results(out)
    fresh = tmp_path / "fresh"
    assert decompose(table, fresh, year="2020")[0] == 0
    pd.testing.assert_frame_equal(second, results(fresh))
    assert not np.array_equal(second["value"].to_numpy(), first["value"].to_numpy())


def test_same_size_same_mtime_edit_of_a_file_named_in_the_options_recomputes(tmp_path):
    """A side file a per-year function reads (like a groups or scenario file), named in
    its keyword arguments, enters the fingerprint by content."""
    from chainatlas.execution import run_per_year

    table, factor = write_wide(tmp_path / "t", year=2020), tmp_path / "factor.txt"
    factor.write_text("2.0\n")

    def run():
        return run_per_year(
            "safety_helpers:output_times_factor", task="scaled", source="generic",
            path=table, years=[2020], kwargs={"factor_file": str(factor)},
            out_dir=tmp_path / "out", progress=False,
        )  # fmt: skip

    first = run()
    base = first.read("scaled")["value"].iloc[0]
    assert run().skipped  # unchanged: not recomputed
    edit_keeping_size_and_mtime(factor, b"2.0", b"3.0")
    third = run()
    assert third.computed and third.recomputed, third
    assert "factor_file" in next(iter(third.recomputed.values()))
    assert third.read("scaled")["value"].iloc[0] == pytest.approx(base * 3.0 / 2.0, rel=1e-12)


def test_unwritable_output_directory_is_one_error(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    base = panel(tmp_path / "tables")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert_one_line_error(decompose(base, locked / "out"), "locked")
        assert_one_line_error(
            cli("indicators", "--source", "generic", "--path", base / "2020",
                "--set", "participation", "--out", locked / "ind"),
            "locked",
        )  # fmt: skip
    finally:
        locked.chmod(0o700)


def test_unwritable_output_directory_as_root_is_one_error(tmp_path):
    """Root ignores permissions; a path under a regular file fails the same way."""
    base = panel(tmp_path / "tables")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_line_error(decompose(base, blocker / "out"), "file")
    assert_one_line_error(
        cli("indicators", "--source", "generic", "--path", base / "2020",
            "--set", "participation", "--out", blocker / "ind"),
        "file",
    )  # fmt: skip


# ---------------------------------------------------------------------- killed runs
def _stalled_run(
    base: Path, out: Path, stall_after: int, tmp_path: Path
) -> tuple[subprocess.Popen, int]:
    """The CLI stopped in the middle of a partition write; (process, year being written)."""
    signal_file = tmp_path / "stalled"
    signal_file.unlink(missing_ok=True)
    env = {
        **os.environ,
        "COLUMNS": "300",
        "STALL_AFTER": str(stall_after),
        "STALL_SIGNAL": str(signal_file),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")]),
    }
    process = subprocess.Popen(
        [
            sys.executable, str(HERE / "slow_writer.py"), "decompose", "--source", "generic",
            "--path", str(base), "--year", "2018-2020", "--method", "wwz",
            "--level", "country", "--out", str(out),
        ],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not signal_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(
                "the run never reached the stalled write: " + process.stderr.read()
            )
        time.sleep(0.05)
    time.sleep(0.05)
    stalled = re.search(r"year=(\d{4})", signal_file.read_text())
    return process, int(stalled.group(1))


def _datasets_per_unit(out: Path) -> int:
    marker = next((out / "_chainatlas" / "units").glob("*.json"))
    return len(json.loads(marker.read_text())["datasets"])


@pytest.mark.parametrize(
    ("how", "expected_code"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130), (signal.SIGTERM, 143)],
)
def test_run_killed_mid_write_keeps_the_previous_results(tmp_path, how, expected_code):
    base, out = panel(tmp_path / "tables"), tmp_path / "out"
    assert decompose(base, out)[0] == 0
    previous = results(out)
    with duckdb.connect(str(out / "results.duckdb"), read_only=True) as con:
        catalogued = con.execute("SELECT count(*) FROM wwz_country").fetchone()[0]
    for year in YEARS:  # every year's input changes: the next run recomputes them all
        scale_z(base / str(year), 2.0)

    # the second unit's second partition is half written when the signal arrives (its
    # first one is written aside, not yet in place)
    process, stalled_year = _stalled_run(base, out, _datasets_per_unit(out) + 1, tmp_path)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == expected_code, stderr
    if how != signal.SIGKILL:
        assert "Traceback" not in stderr
        said = [line for line in stderr.splitlines() if line.strip() and "recomputing" not in line]
        assert 1 <= len(said) <= 2, stderr  # "interrupted: 1 of 3 units finished …"

    # the year being written and those not started are exactly as they were; the year
    # finished before the signal holds its new result (complete, readable)
    now = results(out)
    assert set(now["year"]) == set(YEARS)
    kept = [y for y in YEARS if y != stalled_year]
    unchanged = [
        y
        for y in YEARS
        if now[now["year"] == y]
        .reset_index(drop=True)
        .equals(previous[previous["year"] == y].reset_index(drop=True))
    ]
    assert stalled_year in unchanged and len(unchanged) == 2, (stalled_year, unchanged, kept)
    with duckdb.connect(str(out / "results.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM wwz_country").fetchone()[0] == catalogued

    code, stdout, err = decompose(base, out)
    assert code == 0, err
    assert "2 year(s) computed (2 recomputed" in stdout and "1 already done" in stdout
    fresh = tmp_path / "fresh"
    assert decompose(base, fresh)[0] == 0
    pd.testing.assert_frame_equal(results(out), results(fresh))
    assert np.isfinite(results(out)["value"]).all()


def test_output_directory_inside_the_input_directory_does_not_make_every_rerun_stale(tmp_path):
    base = panel(tmp_path / "tables")
    out = base / "results"
    assert decompose(base, out)[0] == 0
    code, stdout, err = decompose(base, out)
    assert code == 0 and "0 year(s) computed" in stdout and "3 already done" in stdout, err
