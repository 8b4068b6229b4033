"""WWZ 16-term decomposition on WIOD 2011: METHODS §4.3 identities, R decompr 6.8.0 and
exvatools 0.9.0 outputs, every WIOD year, the API and the ``chainatlas decompose`` CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from reference_tables import REF_REL, REL, compare_by_name, read_reference
from typer.testing import CliRunner

import chainatlas
from chainatlas import decompositions
from chainatlas.core import value_added
from chainatlas.decompositions.kww import KWW_TERMS, kww
from chainatlas.decompositions.tiva import domestic_multipliers, foreign_multiplier
from chainatlas.decompositions.wwz import EXVATOOLS_NAMES, WWZ_TERMS, wwz, wwz_to_kww
from chainatlas.errors import ChainAtlasError
from chainatlas.interfaces.cli.main import app


@pytest.fixture(scope="module")
def decomposition(wiod2011):
    return wwz(wiod2011)


def relative_gap(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max() / max(np.abs(b).max(), 1e-300))


# ---------------------------------------------------------------------- structure
def test_terms_names_order_and_shape(decomposition, wiod2011):
    assert tuple(decomposition.terms) == WWZ_TERMS
    assert len(WWZ_TERMS) == 16
    own = wiod2011.country_of_row
    for name, values in decomposition.terms.items():
        assert values.shape == (wiod2011.GN, wiod2011.G), name
        assert np.isfinite(values).all(), name
        assert np.all(values[np.arange(wiod2011.GN), own] == 0.0), name


# ---------------------------------------------------------------------- identities (§4.3)
def test_sixteen_terms_sum_to_bilateral_sector_exports(decomposition, wiod2011):
    total = sum(decomposition.terms.values())
    E = wiod2011.exports
    # element-wise: every exporting sector and partner
    np.testing.assert_allclose(total, E, rtol=REL, atol=REL * 1e-3 * np.abs(E).max())
    assert relative_gap(total, E) < REL


def test_domestic_and_foreign_content(decomposition, wiod2011):
    G, N = wiod2011.G, wiod2011.N
    v_B, _ = domestic_multipliers(wiod2011)
    foreign = foreign_multiplier(wiod2011)
    E = wiod2011.exports
    domestic_content = v_B.reshape(-1)[:, None] * E
    foreign_content = foreign.reshape(-1)[:, None] * E
    first_ten = sum(decomposition.terms[n] for n in WWZ_TERMS[:10])
    last_six = sum(decomposition.terms[n] for n in WWZ_TERMS[10:])
    assert relative_gap(first_ten, domestic_content) < REL
    assert relative_gap(last_six, foreign_content) < REL
    assert first_ten.shape == (G * N, G)


def test_dva_terms_sum_to_vax(decomposition, wiod2011):
    absorbed = sum(decomposition.aggregate(n, "country") for n in WWZ_TERMS[:5])
    assert relative_gap(absorbed, value_added.vax(wiod2011)) < REL


def test_mapping_to_kww_equals_direct_kww(decomposition, wiod2011):
    mapped = wwz_to_kww(decomposition)
    direct = kww(wiod2011)
    assert tuple(mapped.terms) == KWW_TERMS
    for name in KWW_TERMS:
        assert relative_gap(mapped.terms[name], direct.terms[name]) < REL, name
    with pytest.raises(ChainAtlasError, match="needs a wwz"):
        wwz_to_kww(direct)


# ---------------------------------------------------------------------- reference tools
@pytest.mark.parametrize(
    ("filename", "level", "keys"),
    [
        ("decompr_wwz_country_wiod2011.csv", "country", ["exporter"]),
        ("decompr_wwz_sector_wiod2011.csv", "sector", ["exporter", "sector"]),
        ("decompr_wwz_bilateral_wiod2011.csv", "bilateral", ["exporter", "importer"]),
        ("decompr_wwz_full_wiod2011.csv.gz", "full", ["exporter", "importer", "sector"]),
    ],
)
def test_matches_decompr(decomposition, reference_dir, filename, level, keys):
    reference = read_reference(reference_dir / filename)
    ours = decomposition.to_frame(level, wide=True)
    worst = compare_by_name(ours, reference, keys, {n: n for n in WWZ_TERMS})
    assert max(worst.values()) < REF_REL, worst
    # decompr's texp is gross exports: our terms sum to it
    joined = reference[["texp", *keys]].merge(ours, on=keys)
    total = joined[list(WWZ_TERMS)].sum(axis=1)
    assert np.abs(total - joined["texp"]).max() < REL * joined["texp"].abs().max()


@pytest.mark.parametrize(
    ("level", "keys"),
    [
        ("country", ["exporter"]),
        ("sector", ["exporter", "sector"]),
        ("bilateral", ["exporter", "importer"]),
    ],
)
def test_matches_exvatools(decomposition, reference_dir, level, keys):
    reference = read_reference(reference_dir / f"exva_wwz_terms_{level}_wiod2011.csv")
    ours = decomposition.to_frame(level, wide=True)
    worst = compare_by_name(ours, reference, keys, EXVATOOLS_NAMES)
    assert max(worst.values()) < REF_REL, worst


# ---------------------------------------------------------------------- every WIOD year
@pytest.mark.parametrize("year", range(1995, 2012))
def test_identities_every_year(wiod_loader, year):
    model = wiod_loader(year)
    result = wwz(model)
    # Zero-output sectors that still trade (rounding artefacts of the integer WIOD copy, e.g.
    # LUX.c8 in 1995) carry no VA: a few USD million of exports are in no term, and the
    # result says so. Otherwise the terms sum to gross exports exactly.
    artefact = bool(np.any((model.x == 0) & ((model.total_exports != 0) | model.Z.any(axis=0))))
    E = model.exports
    residual = np.abs(E - sum(result.terms.values())).sum()
    noted = [note for note in result.notes if "terms sum to gross exports minus" in note]
    if artefact:
        assert residual < min(20.0, 1e-5 * E.sum())  # USD million
        assert len(noted) == (1 if residual > REL * E.sum() else 0)
    else:
        assert relative_gap(sum(result.terms.values()), E) < REL
        assert not noted
    dva = sum(result.aggregate(n, "country") for n in WWZ_TERMS[:5])
    assert relative_gap(dva, value_added.vax(model)) < REL
    direct = kww(model)
    country_exports = E.sum(axis=1).reshape(model.G, model.N).sum(axis=1)
    kww_residual = np.abs(country_exports - sum(direct.terms.values())).sum()
    assert kww_residual < (20.0 if artefact else REL * country_exports.sum())
    mapped = wwz_to_kww(result)
    for name in KWW_TERMS:
        assert relative_gap(mapped.terms[name], direct.terms[name]) < REL, (year, name)


# ---------------------------------------------------------------------- API
LEVEL_COLUMNS = {
    "full": ["year", "exporter", "importer", "sector", "term", "value"],
    "bilateral": ["year", "exporter", "importer", "term", "value"],
    "sector": ["year", "exporter", "sector", "term", "value"],
    "country": ["year", "exporter", "term", "value"],
    "world": ["year", "term", "value"],
}


@pytest.mark.parametrize("level", list(LEVEL_COLUMNS))
def test_api_levels(wiod2011, level):
    G, N = wiod2011.G, wiod2011.N
    table = chainatlas.decompose(wiod2011, "wwz", level=level)
    assert list(table.columns) == LEVEL_COLUMNS[level]
    rows = {"full": G * (G - 1) * N, "bilateral": G * (G - 1), "sector": G * N, "country": G}
    assert len(table) == rows.get(level, 1) * 16
    assert list(table["term"].unique()) == list(WWZ_TERMS)
    assert (table["year"] == 2011).all()
    # every level carries the same world total: gross world exports
    assert abs(table["value"].sum() - wiod2011.exports.sum()) < REL * wiod2011.exports.sum()
    if "importer" in table:
        assert not (table["exporter"] == table["importer"]).any()


def test_api_wide_and_dispatch(wiod2011):
    wide = chainatlas.decompose(wiod2011, "WWZ", level="bilateral", wide=True)
    assert list(wide.columns) == ["year", "exporter", "importer", *WWZ_TERMS]
    row = wide[(wide.exporter == "CHN") & (wide.importer == "USA")].iloc[0]
    E = wiod2011.exports
    chn, usa = wiod2011.country_slice("CHN"), wiod2011.country_position("USA")
    assert abs(row[list(WWZ_TERMS)].sum() - E[chn, usa].sum()) < REL * E[chn, usa].sum()
    assert decompositions.decomposition(wiod2011, "wwz").method == "wwz"
    with pytest.raises(ChainAtlasError, match="unknown decomposition method 'wzw'"):
        decompositions.decomposition(wiod2011, "wzw")
    with pytest.raises(ChainAtlasError, match="unknown level 'region'"):
        wwz(wiod2011).to_frame("region")


def test_aggregate_names_an_unknown_term_or_level(decomposition):
    """A typo in a term name was a bare KeyError('DVA_FINAL')."""
    with pytest.raises(ChainAtlasError, match=r"wwz has no term 'DVA_FINAL'; its terms: DVA_FIN, "):
        decomposition.aggregate("DVA_FINAL", "bilateral")
    with pytest.raises(ChainAtlasError, match="unknown level 'region'"):
        decomposition.aggregate("DVA_FIN", "region")


# ---------------------------------------------------------------------- CLI
def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_cli_bilateral_parquet_matches_api(wiod_dir, wiod2011, tmp_path):
    out = tmp_path / "wwz.parquet"
    result = invoke(
        "decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2011",
        "--method", "wwz", "--level", "bilateral", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert list(table.columns) == LEVEL_COLUMNS["bilateral"]
    expected = chainatlas.decompose(wiod2011, "wwz", level="bilateral")
    pd.testing.assert_frame_equal(
        table.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )


def test_cli_panel_csv_wide(wiod_dir, tmp_path):
    out = tmp_path / "panel.csv"
    result = invoke(
        "decompose", "--source", "wiod2013", "--path", str(wiod_dir), "--year", "2010-2011",
        "--method", "wwz", "--level", "country", "--wide", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["year", "exporter", *WWZ_TERMS]
    assert sorted(table["year"].unique()) == [2010, 2011]
    assert len(table) == 2 * 41
    # the panel rows differ by year (not one year written twice)
    by_year = table.groupby("year")["DVA_FIN"].sum()
    assert by_year[2010] != by_year[2011]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--method": "wzw"}, "unknown method 'wzw'"),
        ({"--year": "1990"}, "unknown year(s) 1990"),
        ({"--level": "region"}, "unknown level 'region'"),
        ({"--method": "kww", "--level": "sector"}, "country level only"),
    ],
)
def test_cli_bad_input_exits_2_naming_the_problem(wiod_dir, tmp_path, changes, message):
    out = tmp_path / "bad.csv"
    options = {
        "--source": "wiod2013",
        "--path": str(wiod_dir),
        "--year": "2011",
        "--method": "wwz",
        "--level": "country",
        "--out": str(out),
        **changes,
    }
    args = [item for pair in options.items() for item in pair]
    proc = subprocess.run(
        [sys.executable, "-m", "chainatlas.interfaces.cli.main", "decompose", *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    assert message in " ".join(proc.stderr.split()), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()
