"""Partition store, memory model and option parsing (no tables, no cluster)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from chainatlas.errors import ChainAtlasError
from chainatlas.execution import PartitionStore, WorkUnit, run_units
from chainatlas.execution.backends import make_backend, parse_scheduler
from chainatlas.execution.memory import (
    parse_memory_limit,
    square_bytes,
    wwz_memory_plan,
    wwz_standard_bytes,
)
from chainatlas.execution.units import dataset_name


def unit(year: int, batch: int | None = None) -> WorkUnit:
    return WorkUnit("toy", "none", None, year, batch=batch)


def frame(year: int, n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"year": year, "k": np.arange(n), "value": np.arange(n) * 1.5})


def toy_task(u: WorkUnit) -> dict[str, pd.DataFrame]:
    """Module-level so any backend can run it; two datasets per unit."""
    out = frame(u.year, 2 + (u.batch or 0))
    return {"toy_a": out, "toy_b": out.assign(value=out["value"] * 2)}


def test_partition_layout_marker_and_catalogue(tmp_path):
    store = PartitionStore(tmp_path)
    store.prepare()
    u = unit(2011, batch=3)
    marker = store.write_unit(u, {"wwz_country": frame(2011)}, seconds=0.5)
    part = tmp_path / "wwz_country" / "year=2011" / "batch=3" / "part-0.parquet"
    assert part.exists()
    assert marker["rows"] == {"wwz_country": 3}
    assert store.is_done(u) and not store.is_done(unit(2010))
    # the year column lives in the directory name, and comes back on reading
    assert "year" not in pd.read_parquet(part).columns
    back = store.read("wwz_country")
    assert list(back.columns[:1]) == ["year"] and set(back["year"]) == {2011}
    assert set(back["batch"]) == {3}
    path = store.register()
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM wwz_country").fetchone()[0] == 3
        assert con.execute("SELECT key, rows FROM run_units").fetchall() == [(u.key, 3)]


def test_rewriting_a_partition_replaces_it(tmp_path):
    store = PartitionStore(tmp_path)
    store.prepare()
    store.write_unit(unit(2011), {"d": frame(2011, 3)}, 0.0)
    store.write_unit(unit(2011), {"d": frame(2011, 5)}, 0.0)  # e.g. a unit that ran twice
    files = list((tmp_path / "d").rglob("*.parquet"))
    assert len(files) == 1
    assert len(store.read("d")) == 5
    assert list((tmp_path / "_chainatlas" / "tmp").iterdir()) == []


def test_failed_write_leaves_no_partition_and_no_marker(tmp_path, monkeypatch):
    store = PartitionStore(tmp_path)
    store.prepare()

    def broken(self, path, **kwargs):
        path.write_bytes(b"half a file")
        raise KeyboardInterrupt  # Ctrl-C in the middle of writing

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(KeyboardInterrupt):
        store.write_unit(unit(2011), {"d": frame(2011)}, 0.0)
    assert not (tmp_path / "d" / "year=2011").exists()
    assert not store.is_done(unit(2011))
    assert list((tmp_path / "_chainatlas" / "tmp").iterdir()) == []


def test_prepare_drops_leftovers_of_a_killed_run(tmp_path):
    store = PartitionStore(tmp_path)
    store.prepare()
    leftover = tmp_path / "_chainatlas" / "tmp" / "toy__year=2011.d.x"
    leftover.mkdir()
    (leftover / "part-0.parquet").write_bytes(b"partial")
    PartitionStore(tmp_path).prepare()
    assert not leftover.exists()


def test_partition_year_must_match_the_rows(tmp_path):
    store = PartitionStore(tmp_path)
    with pytest.raises(ChainAtlasError, match="year values"):
        store.write_unit(unit(2011), {"d": frame(2010)}, 0.0)


def test_run_units_collects_in_memory_and_stores(tmp_path):
    units = [unit(2010, batch=0), unit(2011, batch=0), unit(2011, batch=1)]
    memory = run_units(toy_task, units, progress=False)
    assert memory.frames is not None
    assert list(memory.read("toy_a")["year"]) == [2010, 2010, 2011, 2011, 2011, 2011, 2011]
    assert list(memory.read("toy_a")["k"]) == [0, 1, 0, 1, 0, 1, 2]
    stored = run_units(toy_task, units, out_dir=tmp_path, progress=False)
    assert sorted(stored.computed) == sorted(u.key for u in units)
    back = stored.read("toy_b").sort_values(["year", "batch", "k"])
    expected = memory.read("toy_b")
    np.testing.assert_array_equal(back["value"].to_numpy(), expected["value"].to_numpy())
    again = run_units(toy_task, units, out_dir=tmp_path, progress=False)
    assert again.computed == [] and len(again.skipped) == 3


def test_duplicate_units_rejected():
    with pytest.raises(ChainAtlasError, match="given twice"):
        run_units(toy_task, [unit(2011), unit(2011)], progress=False)


def test_output_path_that_is_a_file_is_rejected(tmp_path):
    target = tmp_path / "results"
    target.write_text("a user's file")
    with pytest.raises(ChainAtlasError, match="must be a directory"):
        run_units(toy_task, [unit(2011)], out_dir=target, progress=False)
    assert target.read_text() == "a user's file"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("16GB", 16 * 10**9), ("8 GiB", 8 * 2**30), ("500mb", 5 * 10**8), ("1e3", None)],
)
def test_parse_memory_limit(text, expected):
    if expected is None:
        with pytest.raises(ChainAtlasError, match="bad memory limit"):
            parse_memory_limit(text)
    else:
        assert parse_memory_limit(text) == expected


def test_scheduler_and_backend_errors():
    assert parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("10.0.0.5:8786") == ("remote", "tcp://10.0.0.5:8786")
    with pytest.raises(ChainAtlasError, match="needs --scheduler"):
        parse_scheduler(None)
    with pytest.raises(ChainAtlasError, match="local:N"):
        parse_scheduler("local:0")
    with pytest.raises(ChainAtlasError, match="unknown backend 'spark'"):
        make_backend("spark")
    with pytest.raises(ChainAtlasError, match="--scheduler needs --backend dask"):
        make_backend("local", "local:2")


def test_memory_plan_for_an_exiobase_size_table():
    G, N = 49, 200
    assert square_bytes(G, N) == 9800**2 * 8  # 768 MB
    unlimited = wwz_memory_plan(G, N, None)
    assert unlimited.exporters_per_batch == G and unlimited.batches == 1
    # the standard path holds ~5 dense GN×GN matrices; the batched one Z + LU factors
    assert wwz_standard_bytes(G, N) > 5 * square_bytes(G, N)
    assert unlimited.fixed_bytes < 2.3 * square_bytes(G, N)
    tight = wwz_memory_plan(G, N, 2 * 10**9)
    assert 1 <= tight.exporters_per_batch < G and tight.peak_bytes <= 2 * 10**9
    roomy = wwz_memory_plan(G, N, 16 * 10**9)
    assert roomy.exporters_per_batch >= tight.exporters_per_batch
    assert roomy.peak_bytes <= 16 * 10**9
    with pytest.raises(ChainAtlasError, match="below the minimum"):
        wwz_memory_plan(G, N, 10**9)


def test_dataset_names_are_sql_identifiers():
    assert dataset_name("bm-source", "country") == "bm_source_country"
    assert dataset_name("2x") == "t_2x"
    with pytest.raises(ChainAtlasError, match="task name"):
        WorkUnit("bad-name", "s", None, 2011)
