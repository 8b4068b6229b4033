"""The same WIOD panel on the local backend and on a 2-worker Dask LocalCluster.

Results must agree to 1e-12 relative (the workers run single-threaded BLAS, the local run
multi-threaded, so the last bits of a sum may differ), also after a worker dies mid-run; an
interrupted run resumes without recomputing what it finished.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from execution_helpers import (
    CALLS,
    INTERRUPT_AT,
    counting_decompose,
    dying_decompose,
    year_summary,
)

from chainatlas.execution import decompose_task, decompose_units, run_units
from chainatlas.execution.store import PART_FILE, PartitionStore
from chainatlas.execution.units import WorkUnit

YEARS = [2009, 2010, 2011]
KEYS = ["year", "exporter", "sector", "term"]

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    import logging

    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
        env={
            "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
        },
    ) as local_cluster:
        yield local_cluster


@pytest.fixture(scope="module")
def local_panel(wiod_dir, tmp_path_factory):
    """The reference: the panel computed in-process."""
    units = decompose_units("wiod2013", wiod_dir, YEARS, "wwz", "sector")
    out = tmp_path_factory.mktemp("local")
    result = run_units(decompose_task, units, out_dir=out, progress=False)
    assert sorted(result.computed) == sorted(u.key for u in units)
    return sort(result.read("wwz_sector"))


def sort(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEYS).reset_index(drop=True)


def assert_same_panel(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = sort(got)
    assert len(got) == len(expected)
    for key in KEYS:
        assert (got[key].to_numpy() == expected[key].to_numpy()).all(), key
    scale = np.abs(expected["value"].to_numpy()).max()
    np.testing.assert_allclose(
        got["value"].to_numpy(), expected["value"].to_numpy(), rtol=1e-12, atol=1e-12 * scale
    )


def partition_files(root: Path, dataset: str) -> dict[str, list[str]]:
    return {
        p.name: sorted(f.name for f in p.rglob("*") if f.is_file())
        for p in sorted((root / dataset).iterdir())
    }


def test_dask_panel_equals_local_panel(cluster, wiod_dir, local_panel, tmp_path):
    units = decompose_units("wiod2013", wiod_dir, YEARS, "wwz", "sector")
    result = run_units(
        decompose_task,
        units,
        backend="dask",
        scheduler=cluster.scheduler_address,
        out_dir=tmp_path,
        progress=False,
    )
    assert result.backend == "dask" and result.workers == 2
    assert sorted(result.computed) == sorted(u.key for u in units)
    assert_same_panel(result.read("wwz_sector"), local_panel)
    # the rows also agree with the in-memory path of the same backend
    in_memory = run_units(
        decompose_task, units[:1], backend="dask", scheduler=cluster.scheduler_address,
        progress=False,
    )  # fmt: skip
    expected_2009 = local_panel[local_panel["year"] == 2009].reset_index(drop=True)
    assert_same_panel(in_memory.read("wwz_sector"), expected_2009)


def test_killed_worker_loses_and_duplicates_nothing(cluster, wiod_dir, local_panel, tmp_path):
    flag = tmp_path / "killed.pid"
    units = [
        WorkUnit(u.task, u.source, u.path, u.year, params={**u.params, "flag": str(flag)})
        for u in decompose_units("wiod2013", wiod_dir, YEARS, "wwz", "sector")
    ]
    out = tmp_path / "out"
    result = run_units(
        dying_decompose,
        units,
        backend="dask",
        scheduler=cluster.scheduler_address,
        out_dir=out,
        progress=False,
    )
    assert flag.exists(), "the worker was not killed"
    assert int(flag.read_text()) != os.getpid()  # it died on a worker, not here
    assert sorted(result.computed) == sorted(u.key for u in units)
    # one partition per year, one file in each, nothing left in the staging area
    assert partition_files(out, "wwz_sector") == {f"year={y}": [PART_FILE] for y in YEARS}
    assert list((out / "_chainatlas" / "tmp").iterdir()) == []
    assert_same_panel(result.read("wwz_sector"), local_panel)


def test_interrupted_run_resumes_without_recomputing(wiod_dir, local_panel, tmp_path):
    units = decompose_units("wiod2013", wiod_dir, YEARS, "wwz", "sector")
    CALLS.clear()
    INTERRUPT_AT[0] = 2011
    try:
        with pytest.raises(KeyboardInterrupt):
            run_units(counting_decompose, units, out_dir=tmp_path, progress=False)
    finally:
        INTERRUPT_AT[0] = None
    assert CALLS == YEARS
    store = PartitionStore(tmp_path)
    assert [store.is_done(u) for u in units] == [True, True, False]
    assert not (tmp_path / "wwz_sector" / "year=2011").exists()
    finished = {y: (tmp_path / "wwz_sector" / f"year={y}" / PART_FILE).stat() for y in YEARS[:2]}

    CALLS.clear()
    resumed = run_units(counting_decompose, units, out_dir=tmp_path, progress=False)
    assert CALLS == [2011]  # only the unfinished year was computed
    assert resumed.computed == [units[2].key]
    assert resumed.skipped == [units[0].key, units[1].key]
    for year, before in finished.items():
        after = (tmp_path / "wwz_sector" / f"year={year}" / PART_FILE).stat()
        assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)
    assert_same_panel(resumed.read("wwz_sector"), local_panel)


def test_supply_cut_sweep_in_batches_on_dask_equals_one_local_batch(cluster, wiod_dir, wiod2011):
    from chainatlas.execution import run_per_year
    from chainatlas.scenarios.batch import run_supply_cuts

    cuts = [
        {"id": f"{c}-{s}", "suppliers": c, "supplier_sectors": s, "change": -0.25}
        for c in ("CHN", "JPN", "KOR", "DEU")
        for s in ("c1", "c14", "c20")
    ]
    batches = [{"cuts": cuts[i : i + 5]} for i in range(0, len(cuts), 5)]
    out = run_per_year(
        "chainatlas.scenarios.batch:run_supply_cuts",
        task="supply_cuts",
        source="wiod2013",
        path=wiod_dir,
        years=[2011],
        batches=batches,
        backend="dask",
        scheduler=cluster.scheduler_address,
        progress=False,
    )
    got = out.read("supply_cuts")
    expected = run_supply_cuts(wiod2011, cuts)
    keys = ["scenario", "country", "measure"]
    got = got.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert len(got) == len(expected) == len(cuts) * 4 * wiod2011.G
    assert (got[keys].to_numpy() == expected[keys].to_numpy()).all()
    scale = np.abs(expected["change"]).max()
    np.testing.assert_allclose(got["change"], expected["change"], rtol=1e-12, atol=1e-12 * scale)


def test_map_years_returns_results_in_year_order_with_attrs(cluster, wiod_dir, wiod_loader):
    from chainatlas.execution import map_years

    results = map_years(
        year_summary,
        source="wiod2013",
        path=wiod_dir,
        years=YEARS,
        kwargs={"scale": 2.0},
        backend="dask",
        scheduler=cluster.scheduler_address,
        progress=False,
    )
    assert [r["year"].item() for r in results] == YEARS
    assert [r.attrs["notes"] for r in results] == [[f"wiod2013 {y}"] for y in YEARS]
    for result, year in zip(results, YEARS, strict=True):
        assert result["total_output"].item() == pytest.approx(2 * wiod_loader(year).x.sum())


def test_indicator_panel_on_dask_equals_the_package_panel(cluster, wiod_dir, wiod_loader):
    from chainatlas.execution.adapters import indicator_panel_on_backend
    from chainatlas.indicators import indicator_panel

    sets, groups = ["length", "participation"], ["NEA", "ASEAN-9"]
    expected = indicator_panel([2010, 2011], wiod_loader, sets, groups)
    got = indicator_panel_on_backend(
        "wiod2013", wiod_dir, [2010, 2011], sets, groups,
        backend="dask", scheduler=cluster.scheduler_address, progress=False,
    )  # fmt: skip
    assert list(got) == list(expected)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame, rtol=1e-12, check_exact=False)
        assert_same_attrs(got[name].attrs, frame.attrs)


def assert_same_attrs(got, expected) -> None:
    """Equal metadata; numbers (share exceptions' values) to 1e-12 relative."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and list(got) == list(expected)
        for key in expected:
            assert_same_attrs(got[key], expected[key])
    elif isinstance(expected, list | tuple):
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert_same_attrs(a, b)
    elif isinstance(expected, float):
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)
    else:
        assert got == expected


def test_scenario_on_dask_equals_run_scenario(cluster, wiod_dir):
    import tomllib

    from chainatlas.execution.adapters import run_scenario_on_backend
    from chainatlas.scenarios import run_scenario

    root = Path(__file__).resolve().parents[2]
    with open(root / "examples/scenarios/japan_korea_electronics_cut_to_china.toml", "rb") as f:
        raw = tomllib.load(f)
    raw["table"] = {"source": "wiod2013", "years": [2010, 2011]}
    expected = run_scenario(raw, path=wiod_dir)
    got = run_scenario_on_backend(
        raw, wiod_dir, backend="dask", scheduler=cluster.scheduler_address, progress=False
    )
    assert list(got.tables) == list(expected.tables)
    for name, frame in expected.tables.items():
        assert set(frame["year"]) == {2010, 2011}, name
        pd.testing.assert_frame_equal(got.tables[name], frame, rtol=1e-12, check_exact=False)
    assert got.summary_markdown == expected.summary_markdown


def test_one_unit_per_year_runs_several_methods(wiod_dir, wiod2011, tmp_path):
    from chainatlas.decompositions import decomposition

    units = decompose_units("wiod2013", wiod_dir, [2011], ["wwz", "bm-source"], "country")
    assert [u.task for u in units] == ["decompose_wwz_bm_source_country"]
    result = run_units(decompose_task, units, out_dir=tmp_path, progress=False)
    assert result.datasets == ["bm_source_country", "decompose_notes", "wwz_country"]
    for method in ("wwz", "bm-source"):
        expected = decomposition(wiod2011, method).to_frame("country")
        got = result.read(f"{method.replace('-', '_')}_country")
        keys = ["exporter", "term"]
        got = got.sort_values(keys).reset_index(drop=True)
        expected = expected.sort_values(keys).reset_index(drop=True)
        assert (got[keys].to_numpy() == expected[keys].to_numpy()).all()
        scale = np.abs(expected["value"]).max()
        np.testing.assert_allclose(got["value"], expected["value"], rtol=1e-12, atol=1e-12 * scale)


def test_functions_workers_cannot_import_are_refused_clearly(cluster, wiod_dir):
    from chainatlas.errors import ChainAtlasError
    from chainatlas.execution import run_per_year

    def closure(model):
        return pd.DataFrame({"x": [1]})

    with pytest.raises(ChainAtlasError, match="must be defined at module level"):
        run_per_year(
            closure, task="t", source="wiod2013", path=wiod_dir, years=[2011],
            backend="dask", scheduler=cluster.scheduler_address, progress=False,
        )  # fmt: skip
