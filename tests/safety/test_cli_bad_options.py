"""Options that used to give tracebacks or run silently (issue 14): one line, exit 2."""

from __future__ import annotations

import time

import pytest
from safety_helpers import assert_one_line_error, cli, write_wide


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return write_wide(tmp_path_factory.mktemp("t") / "t")


def decompose(table, out, *extra):
    return cli("decompose", "--source", "generic", "--path", table, "--out", out, *extra)


def test_huge_year_range_is_bounded_and_the_message_short(table, tmp_path):
    started = time.perf_counter()
    line = assert_one_line_error(
        decompose(table, tmp_path / "o.csv", "--year", "1-99999999999"), "outside"
    )
    assert time.perf_counter() - started < 5 and len(line) < 300
    # a range inside the bounds but not in the table: at most a dozen years listed
    line = assert_one_line_error(
        decompose(table, tmp_path / "o.csv", "--year", "1800-2200"), "unknown year"
    )
    assert "more)" in line and len(line) < 400


@pytest.mark.parametrize("year", ["", " ", ",", "2020,,2021", "²"])
def test_empty_or_garbled_year_is_refused(table, tmp_path, year):
    assert_one_line_error(decompose(table, tmp_path / "o.csv", "--year", year), "year")
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    "scheduler", ["foo://127.0.0.1:8786", "http://h:1", "tcp://", "tcp://h:port", "local:0"]
)
def test_bad_scheduler_is_one_line(table, tmp_path, scheduler):
    assert_one_line_error(
        decompose(table, tmp_path / "o.csv", "--year", "2020", "--backend", "dask",
                  "--scheduler", scheduler),
        "--scheduler",
    )  # fmt: skip


def test_unknown_exporter_code_on_the_study_tables_is_refused(table, tmp_path):
    assert_one_line_error(
        cli("tables", "linkage-study", "--source", "generic", "--path", table, "--years",
            "2020", "--link-years", "2020,2020", "--exporters", "FOO", "--out", tmp_path / "s"),
        "FOO",
    )  # fmt: skip
