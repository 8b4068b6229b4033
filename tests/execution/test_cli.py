"""``chainatlas decompose --backend dask --scheduler local:2 --out DIR`` as a user runs it."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
from typer.testing import CliRunner

from chainatlas.interfaces.cli.main import app

runner = CliRunner()


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", *args],
        capture_output=True,
        text=True,
    )


def test_decompose_on_dask_to_a_directory_then_resume(wiod_dir, tmp_path):
    out = tmp_path / "panel"
    args = [
        "decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2010-2011",
        "--method", "bm-source", "--level", "country", "--out", str(out),
    ]  # fmt: skip
    result = runner.invoke(app, [*args, "--backend", "dask", "--scheduler", "local:2"])
    assert result.exit_code == 0, result.output
    assert "2 year(s) computed, 0 already done" in result.output
    assert (out / "bm_source_country" / "year=2010" / "part-0.parquet").exists()
    with duckdb.connect(str(out / "results.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT * FROM bm_source_country").df()
        assert con.execute("SELECT count(*) FROM run_units").fetchone()[0] == 2

    # the same years to a single file with the default local backend
    single = tmp_path / "panel.parquet"
    assert runner.invoke(app, [*args[:-1], str(single)]).exit_code == 0
    expected = pd.read_parquet(single)
    keys = ["year", "exporter", "term"]
    stored = stored.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert list(stored.columns) == list(expected.columns)
    assert (stored[keys].astype(str).to_numpy() == expected[keys].astype(str).to_numpy()).all()
    scale = np.abs(expected["value"]).max()
    np.testing.assert_allclose(stored["value"], expected["value"], rtol=1e-12, atol=1e-12 * scale)

    # a re-run (local this time) finds every year done and computes nothing
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "0 year(s) computed, 2 already done" in again.output


def test_decompose_file_output_through_dask_matches_local(wiod_dir, tmp_path):
    base = [
        "decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011",
        "--method", "wwz", "--level", "bilateral",
    ]  # fmt: skip
    local_file, dask_file = tmp_path / "local.csv", tmp_path / "dask.csv"
    assert runner.invoke(app, [*base, "--out", str(local_file)]).exit_code == 0
    result = runner.invoke(
        app,
        [*base, "--out", str(dask_file), "--backend", "dask", "--scheduler", "local:1",
         "--memory-limit", "2GB"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    local, remote = pd.read_csv(local_file), pd.read_csv(dask_file)
    assert len(local) == len(remote) == 41 * 40 * 16
    scale = np.abs(local["value"]).max()
    np.testing.assert_allclose(remote["value"], local["value"], rtol=1e-10, atol=1e-12 * scale)


def test_backend_option_errors_exit_2(wiod_dir, tmp_path):
    base = ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011",
            "--out", str(tmp_path / "out")]  # fmt: skip
    cases = [
        (["--backend", "dask"], "--backend dask needs --scheduler"),
        (["--scheduler", "local:2"], "--scheduler needs --backend dask"),
        (["--backend", "spark"], "unknown backend 'spark'"),
        (["--backend", "dask", "--scheduler", "local:x"], "use local:N"),
        (["--memory-limit", "lots"], "bad memory limit 'lots'"),
        (["--memory-limit", "10MB"], "below the minimum"),
    ]
    for extra, message in cases:
        result = run_cli(*base, *extra)
        assert result.returncode == 2, (extra, result.stderr)
        assert message in " ".join(result.stderr.split()), (extra, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "wwz_country").exists()


def test_ctrl_c_on_dask_stops_cleanly_and_a_rerun_resumes(wiod_dir, tmp_path):
    import os
    import signal
    import time

    out = tmp_path / "panel"
    args = [
        "decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "1995-2004",
        "--method", "wwz", "--level", "country", "--out", str(out),
    ]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", *args,
         "--backend", "dask", "--scheduler", "local:2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    markers = out / "_chainatlas" / "units"
    deadline = time.time() + 240
    while time.time() < deadline and len(list(markers.glob("*.json"))) < 2:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    kept = len(list(markers.glob("*.json")))
    assert 2 <= kept < 10
    assert f"interrupted: {kept} of 10 units finished and kept" in " ".join(stderr.split())
    # every kept year is complete and alone in its partition; nothing half-written
    parts = sorted(p.parent.name for p in (out / "wwz_country").rglob("*.parquet"))
    assert len(parts) == len(set(parts)) == kept
    assert list((out / "_chainatlas" / "tmp").iterdir()) == []
    rerun = run_cli(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{10 - kept} year(s) computed, {kept} already done" in rerun.stdout


def test_memory_limit_too_small_for_a_method_without_batching(wiod_dir, tmp_path):
    result = run_cli(
        "decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011",
        "--method", "bm-source", "--memory-limit", "50MB", "--out", str(tmp_path / "bm.csv"),
    )  # fmt: skip
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "bm-source on a 41×35 table needs about" in message
    assert "implemented for wwz only" in message
    assert not (tmp_path / "bm.csv").exists()


def test_indicators_on_dask_write_the_same_files_as_local(wiod_dir, tmp_path):
    base = [
        "indicators", "--source", "wiod2013", "--path", str(wiod_dir), "--years", "2010-2011",
        "--sets", "length,participation", "--groups", "NEA",
    ]  # fmt: skip
    local_dir, dask_dir = tmp_path / "local", tmp_path / "dask"
    local = runner.invoke(app, [*base, "--out", str(local_dir)])
    assert local.exit_code == 0, local.output
    remote = runner.invoke(
        app, [*base, "--out", str(dask_dir), "--backend", "dask", "--scheduler", "local:2"]
    )
    assert remote.exit_code == 0, remote.output
    names = sorted(p.name for p in local_dir.glob("*.parquet"))
    assert names == sorted(p.name for p in dask_dir.glob("*.parquet"))
    assert "shortening.parquet" in names and "groups.parquet" in names
    for name in names:
        expected = pd.read_parquet(local_dir / name)
        got = pd.read_parquet(dask_dir / name)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-12, check_exact=False)
    with duckdb.connect(str(dask_dir / "results.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM length").fetchone()[0] == len(
            pd.read_parquet(local_dir / "length.parquet")
        )


def test_scenario_run_on_dask_writes_the_same_tables_as_local(wiod_dir, tmp_path):
    from pathlib import Path

    example = (
        Path(__file__).resolve().parents[2]
        / "examples/scenarios/japan_korea_electronics_cut_to_china.toml"
    )
    base = ["scenario", "run", str(example), "--path", str(wiod_dir)]
    local_dir, dask_dir = tmp_path / "local", tmp_path / "dask"
    assert runner.invoke(app, [*base, "--out", str(local_dir)]).exit_code == 0
    remote = runner.invoke(
        app, [*base, "--out", str(dask_dir), "--backend", "dask", "--scheduler", "local:1"]
    )
    assert remote.exit_code == 0, remote.output
    names = sorted(p.name for p in local_dir.glob("*.parquet"))
    assert names and names == sorted(p.name for p in dask_dir.glob("*.parquet"))
    for name in names:
        pd.testing.assert_frame_equal(
            pd.read_parquet(dask_dir / name),
            pd.read_parquet(local_dir / name),
            rtol=1e-12,
            check_exact=False,
        )
    assert (dask_dir / "summary.md").read_text() == (local_dir / "summary.md").read_text()
    bad = run_cli(*base, "--out", str(tmp_path / "x"), "--scheduler", "local:2")
    assert bad.returncode == 2 and "--scheduler needs --backend dask" in bad.stderr


def test_tables_study_on_dask_writes_the_same_files_as_local(wiod_dir, tmp_path):
    base = [
        "tables", "participation-study", "--source", "wiod2013", "--path", str(wiod_dir),
        "--years", "2010-2011", "--country", "CHN",
    ]  # fmt: skip
    local_dir, dask_dir = tmp_path / "local", tmp_path / "dask"
    local = runner.invoke(app, [*base, "--out", str(local_dir)])
    assert local.exit_code == 0, local.output
    remote = runner.invoke(
        app, [*base, "--out", str(dask_dir), "--backend", "dask", "--scheduler", "local:1"]
    )
    assert remote.exit_code == 0, remote.output
    names = sorted(p.name for p in local_dir.iterdir())
    assert any(n.endswith(".csv") for n in names)
    assert names == sorted(p.name for p in dask_dir.iterdir())
    for name in names:
        if name.endswith(".csv"):
            expected = pd.read_csv(local_dir / name)
            got = pd.read_csv(dask_dir / name)
            pd.testing.assert_frame_equal(got, expected, rtol=1e-12, check_exact=False)
