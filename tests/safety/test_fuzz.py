"""Hypothesis fuzz tests (issue 14): the generic table format, scenario files and CLI options
must give a result or one clear ChainAtlasError (CLI: exit 2, one line) — never a traceback.
Each test is bounded (max_examples, no per-example deadline) to a few seconds."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safety_helpers import cli, write_wide

import chainatlas
from chainatlas.errors import ChainAtlasError
from chainatlas.scenarios.spec import load_scenario, resolve_shocks

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "NA", "1e308", "-1e308", "1e400", "abc", "0x10", "1,5", "  3 ", "nan",
                     "-0", "١٢", "²", "inf", '"', "1e-320", "9" * 400]),
    st.text(max_size=8),
)  # fmt: skip


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_wide(tmp_path_factory.mktemp("generic") / "t")


def _load_or_clear_error(directory: Path) -> None:
    try:
        model = chainatlas.load("generic", directory, year=2020)
    except ChainAtlasError as exc:
        assert str(exc).strip() and "\n" not in str(exc).strip().splitlines()[0]
        return
    for array in (model.Z, model.Y, model.x):
        assert np.isfinite(np.asarray(array)).all()


@FAST
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 6), _CELLS), min_size=1, max_size=4))
def test_generic_wide_cells(template, edits):
    work = Path(tempfile.mkdtemp())
    try:
        directory = shutil.copytree(template, work / "t")
        lines = (directory / "Z.csv").read_text().splitlines()
        for row, col, value in edits:
            fields = lines[row].split(",")
            fields[col] = str(value).replace("\n", " ").replace(",", ";")
            lines[row] = ",".join(fields)
        (directory / "Z.csv").write_text("\n".join(lines) + "\n")
        _load_or_clear_error(directory)
    finally:
        shutil.rmtree(work, ignore_errors=True)


_TOML_VALUES = st.sampled_from(
    ["2020", "'twenty'", "{ a = 1 }", "[2020]", "20.5", "true", "-5", "99999999999999999999",
     "'2020'", "''", "[]", "1e400", "inf", "nan"]
)  # fmt: skip
_META_KEYS = st.sampled_from(
    ["year", "units", "source", "inventory_category", "country_codes", "sector_names",
     "fd_category_names", "bogus"]
)  # fmt: skip


@FAST
@given(st.dictionaries(_META_KEYS, _TOML_VALUES, max_size=4), st.binary(max_size=40))
def test_generic_meta_toml_and_labels(template, meta, junk):
    work = Path(tempfile.mkdtemp())
    try:
        directory = shutil.copytree(template, work / "t")
        (directory / "meta.toml").write_text(
            "\n".join(f"{key} = {value}" for key, value in meta.items()) + "\n"
        )
        if junk:
            lines = (directory / "Y.csv").read_bytes().splitlines()
            lines[1] = junk.replace(b"\n", b"") + lines[1][lines[1].find(b",") :]
            (directory / "Y.csv").write_bytes(b"\n".join(lines) + b"\n")
        try:
            years = chainatlas.sources.available_years("generic", directory)
        except ChainAtlasError:
            return
        for year in years[:1]:
            with contextlib.suppress(ChainAtlasError):
                chainatlas.load("generic", directory, year=year)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------- scenarios
_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.sampled_from([1e300, -1e300, 1e15, -1.0, -1.5, 0, "x", True, None, [], {}]),
)
_LABELS = st.one_of(
    st.sampled_from(
        ["CHN", "JPN", "ROW", "ALL", "FOREIGN", "EU27", "agr", "mfg", "HH", "__proto__"]
    ),
    st.lists(st.sampled_from(["CHN", "JPN", "XXX", "agr", "zzz"]), max_size=3),
    st.text(max_size=6),
)
_KINDS = st.sampled_from(
    ["demand", "supply", "extraction", "supply_cut", "relocation", "tariff", "bogus", ""]
)


def _shock(kind, number, labels, extra):
    shock = {"id": "s1", "kind": kind, "countries": labels, "change": number}
    if kind == "supply_cut":
        shock = {"id": "s1", "kind": kind, "suppliers": labels, "change": number}
    if extra:
        shock["amount"] = number
    return shock


@pytest.fixture(scope="module")
def small_model():
    from safety_helpers import table

    t = table()
    return chainatlas.MRIOModel.from_arrays(
        t.Z, t.Y, countries=t.countries, sectors=t.sectors, fd_categories=t.fd, year=2020
    )


@FAST
@given(_KINDS, _NUMBERS, _LABELS, st.booleans(), st.sampled_from([None, 2020, "2020", -1, 1e9]))
def test_scenario_specs(small_model, kind, number, labels, extra, year):
    raw = {
        "scenario": {"name": "fuzz"},
        "table": {"source": "generic", "year": year},
        "shocks": [_shock(kind, number, labels, extra)],
    }
    try:
        spec = load_scenario(raw)
        resolve_shocks(spec, small_model)
    except ChainAtlasError as exc:
        assert str(exc).strip()


@FAST
@given(st.binary(max_size=300))
def test_scenario_files_of_any_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("spec") / "s.toml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except ChainAtlasError as exc:
        assert str(exc).strip()


# ---------------------------------------------------------------------------- CLI options
_YEARS = st.one_of(
    st.sampled_from(["", " ", "2020", "2019-2021", "1-99999999999", "2020-2019", "²", "20 20",
                     "2020,", ",", "-", "--", "0", "-2020", "2020-", "9" * 50, "2020,2020"]),
    st.text(max_size=12),
)  # fmt: skip
_CHOICE = st.one_of(st.text(max_size=10), st.sampled_from(["wwz", "tiva", "country", "sector"]))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    _YEARS,
    _CHOICE,
    _CHOICE,
    st.sampled_from(["local", "dask", "bogus", ""]),
    st.sampled_from([None, "local:0", "local:x", "foo://h:1", "tcp://", "local:2", "h:abc"]),
    st.sampled_from([None, "16GB", "-1", "lots", "0", "1e400"]),
)
def test_decompose_options(template, year, method, level, backend, scheduler, memory):
    out = Path(tempfile.mkdtemp()) / "o.csv"
    args = ["decompose", "--source", "generic", "--path", template, "--year", year,
            "--method", method, "--level", level, "--out", out, "--backend", backend]  # fmt: skip
    if scheduler is not None:
        args += ["--scheduler", scheduler]
    if memory is not None:
        args += ["--memory-limit", memory]
    code, _, err = cli(*args)
    assert code in (0, 2), (args, code, err)
    assert "Traceback" not in err, err
    shutil.rmtree(out.parent, ignore_errors=True)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_YEARS, st.sampled_from(["participation", "all", "bogus", "", "length,vax"]),
       st.sampled_from(["NEA", "", "FOO", "CHN,,JPN", "EU27"]))  # fmt: skip
def test_indicators_options(template, year, sets, groups):
    out = Path(tempfile.mkdtemp()) / "ind"
    code, _, err = cli(
        "indicators", "--source", "generic", "--path", template, "--years", year,
        "--set", sets, "--groups", groups, "--out", out,
    )  # fmt: skip
    assert code in (0, 2) and "Traceback" not in err, (year, sets, groups, code, err)
    shutil.rmtree(out.parent, ignore_errors=True)
