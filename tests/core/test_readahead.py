"""Reading a table file ahead while the CLI starts (util/readahead.py, entry.table_file_hint):
the loader takes the bytes only if they are of the very file it opens, unchanged."""

from __future__ import annotations

import bz2
import gzip
import os
import shutil
import time

import numpy as np
import pytest

from chainatlas import sources
from chainatlas.interfaces.cli.entry import table_file_hint
from chainatlas.util import readahead
from cli_process import decompose_process


@pytest.fixture(autouse=True)
def _no_jobs_left():
    yield
    readahead._jobs.clear()


def _wait(path) -> None:
    job = readahead._jobs[os.path.realpath(path)]
    job.thread.join()


@pytest.mark.parametrize("compress", [bz2.compress, gzip.compress, lambda b: b])
def test_take_gives_the_inflated_bytes_once(tmp_path, compress):
    payload = os.urandom(1000) * 50
    file = tmp_path / "t.bin"
    file.write_bytes(compress(payload))
    readahead.start(file, 10**6)
    assert readahead.take(file) == payload
    assert readahead.take(file) is None  # once: the next read goes to the file


def test_a_file_changed_after_the_read_is_not_served(tmp_path):
    file = tmp_path / "t.bz2"
    file.write_bytes(bz2.compress(b"first" * 1000))
    readahead.start(file, 10**6)
    _wait(file)
    time.sleep(0.01)
    file.write_bytes(bz2.compress(b"other" * 1000))  # same size, new content
    assert readahead.take(file) is None


def test_over_the_limit_damaged_discarded_or_other_files_give_none(tmp_path):
    big = tmp_path / "big.bz2"
    big.write_bytes(bz2.compress(b"\0" * 100_000))
    readahead.start(big, 50_000)
    assert readahead.take(big) is None  # inflates past the limit: the loader reports it
    damaged = tmp_path / "damaged.bz2"
    damaged.write_bytes(bz2.compress(b"x" * 10_000)[:40])
    readahead.start(damaged, 10**6)
    assert readahead.take(damaged) is None
    kept = tmp_path / "kept.bz2"
    kept.write_bytes(bz2.compress(b"y" * 10_000))
    readahead.start(kept, 10**6)
    assert readahead.take(tmp_path / "another.bz2") is None
    readahead.discard(kept)
    assert readahead.take(kept) is None
    readahead.start(tmp_path / "absent.bz2", 10**6)  # nothing to read: no job
    assert readahead._jobs == {}


def test_hint_names_the_file_the_loader_reads(wiod_dir):
    expected = sources.get_source("wiod2013").input_files(wiod_dir, 2011)
    for argv in (
        ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011"],
        ["decompose", "--source=WIOD2013", f"--path={wiod_dir}", "--years=2011-2011"],
        ["indicators", "--year", "2011", "--path", str(wiod_dir), "--source", "wiod2013"],
    ):
        assert table_file_hint(argv) == str(expected[0])
    panel = ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "1995-2011"]
    first = sources.get_source("wiod2013").input_files(wiod_dir, 1995)
    assert table_file_hint(panel) == str(first[0])
    single = str(expected[0])
    assert table_file_hint(["decompose", "--source", "wiod2013", "--path", single]) == single
    assert table_file_hint(["decompose", "--source", "icio", "--path", str(wiod_dir)]) is None
    assert table_file_hint(["decompose", "--source", "wiod2013", "--year", "2011"]) is None
    bad_year = ["decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "x"]
    assert table_file_hint(bad_year) is None


def test_loader_takes_the_read_and_rereads_an_edited_file(wiod_dir, tmp_path):
    tables = tmp_path / "wiod"
    tables.mkdir()
    target = tables / "wiot_2011.RData"
    shutil.copyfile(wiod_dir / "wiot_2011.RData", target)
    expected = sources.load("wiod2013", wiod_dir, 2011, cache=False)

    readahead.start(target)
    model = sources.load("wiod2013", tables, 2011, cache=False)
    assert readahead._jobs == {}  # taken by the loader
    np.testing.assert_array_equal(model.Z, expected.Z)

    # the file is replaced by another year's content after it was read ahead: the loader
    # must read the file as it is now (and then refuses it: the file holds 2010)
    readahead.start(target)
    _wait(target)
    time.sleep(0.01)
    shutil.copyfile(wiod_dir / "wiot_2010.RData", target)
    with pytest.raises(Exception, match="2010"):
        sources.load("wiod2013", tables, 2011, cache=False)


def test_cli_cold_and_warm_runs_give_the_same_file(wiod_dir, tmp_path):
    outputs = []
    for run in range(2):  # cold (read ahead, parsed) then warm (cache hit: read discarded)
        out = tmp_path / f"kww{run}.csv"
        done = decompose_process(
            wiod_dir, "2011", "kww", "country", out, tmp_path / "cache",
            module="chainatlas.interfaces.cli.entry",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
