"""The validated MRIO model: construction checks, derived matrices, aggregation, §2 identities."""

from __future__ import annotations

import numpy as np
import pytest

from chainatlas.core import value_added as va_mod
from chainatlas.core.model import MRIOModel
from chainatlas.errors import ValidationError

COUNTRIES = ["AAA", "BBB", "CCC"]
SECTORS = ["s1", "s2"]
FD = ["hh", "inv"]


def small_table(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random balanced-by-construction 3-country x 2-sector table."""
    rng = np.random.default_rng(seed)
    Z = rng.uniform(1, 10, size=(6, 6))
    Y = rng.uniform(5, 20, size=(6, 6))
    return Z, Y


def build(Z=None, Y=None, **kwargs) -> MRIOModel:
    if Z is None:
        Z, Y = small_table()
    return MRIOModel.from_arrays(
        Z, Y, countries=COUNTRIES, sectors=SECTORS, fd_categories=FD, **kwargs
    )


def test_derived_matrices_match_definitions():
    Z, Y = small_table()
    model = build(Z, Y)
    x = Z.sum(1) + Y.sum(1)
    np.testing.assert_allclose(model.x, x)
    np.testing.assert_allclose(model.A, Z / x[None, :])
    np.testing.assert_allclose(model.B @ (np.eye(6) - model.A), np.eye(6), atol=1e-12)
    np.testing.assert_allclose(model.va, x - Z.sum(0))
    # local inverses are the inverses of the diagonal blocks only
    for s in range(3):
        block = slice(2 * s, 2 * s + 2)
        expected = np.linalg.inv(np.eye(2) - model.A[block, block])
        np.testing.assert_allclose(model.local_inverse[s], expected, rtol=1e-12)
    # exports: intermediate + final sales to other countries, own column zero
    E = model.exports
    assert np.all(E[0:2, 0] == 0)
    np.testing.assert_allclose(E[0, 1], Z[0, 2:4].sum() + Y[0, 2:4].sum())
    np.testing.assert_allclose(model.leontief_solve(model.y), model.x, rtol=1e-12)


def test_arrays_are_read_only():
    model = build()
    with pytest.raises(ValueError):
        model.A[0, 0] = 1.0
    with pytest.raises(ValueError):
        model.Z[0, 0] = 1.0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda Z, Y: (Z[:5], Y), "shape"),
        (lambda Z, Y: (Z, Y[:, :5]), "final demand has shape"),
        (lambda Z, Y: (np.where(np.eye(6, dtype=bool), np.nan, Z), Y), "BBB.s1"),
    ],
)
def test_bad_arrays_name_the_problem(mutate, message):
    Z, Y = small_table()
    Z, Y = mutate(Z.copy(), Y.copy())
    if message == "BBB.s1":
        Z = Z.copy()
        Z[:] = np.nan_to_num(Z, nan=1.0)
        Z[2, 3] = np.nan
    with pytest.raises(ValidationError, match=message):
        build(Z, Y, origin="table.csv")


def test_nan_error_names_file_row_and_column():
    Z, Y = small_table()
    Y[3, 4] = np.inf
    with pytest.raises(ValidationError) as info:
        build(Z, Y, origin="my_table.csv")
    text = str(info.value)
    assert "my_table.csv" in text and "BBB.s2" in text and "CCC.hh" in text


def test_negative_published_output_is_an_error_even_when_rebalancing():
    Z, Y = small_table()
    x = Z.sum(1) + Y.sum(1)
    x[2] = -1e9
    with pytest.raises(ValidationError, match=r"negative gross output.*BBB\.s1 \(-1e\+09\)"):
        build(Z, Y, x=x, rebalance=True)


def test_unbalanced_note_names_largest_absolute_and_relative_gaps():
    Z, Y = small_table()
    Z[3] /= 100.0  # a small row, so a small absolute gap is the largest relative one
    Y[3] /= 100.0
    x = Z.sum(1) + Y.sum(1)
    x[0] += 5.0  # largest absolute gap
    x[3] += 0.5  # smaller absolute, larger relative gap
    notes = build(Z, Y, x=x, rebalance=False).validation.notes
    note = next(n for n in notes if n.startswith("not balanced"))
    assert "by up to 5 (at AAA.s1)" in note
    assert "of output (at BBB.s2)" in note


def test_negative_output_is_an_error():
    Z, Y = small_table()
    x = Z.sum(1) + Y.sum(1)
    x[4] = -5.0
    with pytest.raises(ValidationError, match=r"negative gross output.*CCC\.s1"):
        build(Z, Y, x=x, rebalance=False)


def test_duplicate_and_missing_labels():
    Z, Y = small_table()
    with pytest.raises(ValidationError, match="duplicate country"):
        MRIOModel.from_arrays(
            Z, Y, countries=["AAA", "AAA", "CCC"], sectors=SECTORS, fd_categories=FD
        )
    with pytest.raises(ValidationError, match="missing sector label"):
        MRIOModel.from_arrays(Z, Y, countries=COUNTRIES, sectors=["s1", ""], fd_categories=FD)


def test_balance_gap_reported_and_rebalance_option():
    Z, Y = small_table()
    x = Z.sum(1) + Y.sum(1)
    x_published = x.copy()
    x_published[1] += 0.5
    kept = build(Z, Y, x=x_published, rebalance=False)
    assert kept.validation.balance_gap.loc[1, "gap"] == pytest.approx(0.5)
    assert any("not balanced" in note for note in kept.validation.notes)
    np.testing.assert_allclose(kept.x, x_published)
    fixed = build(Z, Y, x=x_published, rebalance=True)
    np.testing.assert_allclose(fixed.x, x)
    assert fixed.validation.rebalanced
    assert any("rebalanced" in note for note in fixed.validation.notes)


def test_integer_tables_rebalance_by_default():
    Z, Y = small_table()
    Z, Y = np.round(Z), np.round(Y)
    x = Z.sum(1) + Y.sum(1) + 1.0
    model = build(Z, Y, x=x)
    assert model.validation.rebalanced
    np.testing.assert_allclose(model.x, Z.sum(1) + Y.sum(1))


def test_zero_output_sector_gives_zero_column_and_v():
    Z, Y = small_table()
    Z[3, :] = 0
    Z[:, 3] = 0
    Y[3, :] = 0
    model = build(Z, Y)
    assert model.validation.zero_output == ("BBB.s2",)
    assert np.all(model.A[:, 3] == 0) and model.v[3] == 0
    assert np.all(np.isfinite(model.B))


def test_aggregation_keeps_totals_and_balance():
    model = build()
    grouped = model.aggregate(countries={"AB": ["AAA", "BBB"]}, sectors={"all": ["s1", "s2"]})
    assert grouped.countries == ("AB", "CCC") and grouped.sectors == ("all",)
    assert grouped.Z.sum() == pytest.approx(model.Z.sum())
    assert grouped.Y_full.sum() == pytest.approx(model.Y_full.sum())
    np.testing.assert_allclose(grouped.x, grouped.Z.sum(1) + grouped.Y_full.sum(1))
    np.testing.assert_allclose(va_mod.gdp(grouped).sum(), va_mod.gdp(model).sum())
    with pytest.raises(ValidationError, match="unknown country 'ZZZ'"):
        model.aggregate(countries={"X": ["ZZZ"]})
    with pytest.raises(ValidationError, match="in both"):
        model.aggregate(countries={"X": ["AAA"], "Y": ["AAA"]})


def test_unknown_country_and_sector_lookups():
    model = build()
    assert model.country_position("bbb") == 1
    assert model.country_slice("CCC") == slice(4, 6)
    with pytest.raises(ValidationError, match="unknown country 'XYZ'"):
        model.country_position("XYZ")
    with pytest.raises(ValidationError, match="unknown sector"):
        model.sector_position("s9")


def assert_core_identities(model: MRIOModel, rtol: float = 1e-9) -> None:
    """METHODS §2 identities 1–4 and the §3 VAX/VAM identities."""
    # 1. u'V̂B = u' for every column with positive output
    positive = model.x > 0
    np.testing.assert_allclose((model.v @ model.B)[positive], 1.0, rtol=rtol, atol=0)
    # 2. B Y u = x, less the inputs of zero-output sectors (A = 0 there; rounded tables
    # have a few such ±1 entries and the model's notes name them)
    zero_output = model.x == 0
    dropped = model.Z[:, zero_output].sum(axis=1)
    if dropped.any():
        assert any("inputs of zero-output" in note for note in model.validation.notes)
    assert np.abs(dropped).sum() <= 1e-6 * model.x.sum()
    # x = A x + y + dropped exactly, hence x = B (y + dropped)
    np.testing.assert_allclose(
        model.B @ (model.y + dropped), model.x, rtol=rtol, atol=rtol * model.x.max()
    )
    # 3. V̂BY: row sums = va, column sums = final expenditure by destination
    vby = va_mod.va_by_destination(model)
    scale = np.abs(model.va).max()
    lost = model.v * (model.B @ dropped)  # VA of the dropped inputs (0 on clean tables)
    # v x = va except in zero-output sectors whose (rounding) inputs give va = −inputs
    traced_va = model.v * model.x
    np.testing.assert_allclose(traced_va[model.x != 0], model.va[model.x != 0], rtol=1e-12)
    np.testing.assert_allclose(vby.sum(axis=1) + lost, traced_va, rtol=rtol, atol=rtol * scale)
    # Final demand for the output of zero-output sectors (±1 rounding entries in the WIOD
    # copy) carries no value added (v = 0 there, METHODS §1); the model's notes list them.
    produced = model.x != 0
    final_expenditure = model.Y[produced].sum(axis=0)
    stray = np.abs(model.Y_full[~produced]).sum()
    assert stray <= 1e-6 * model.Y.sum()  # rounding artefacts only
    if stray:
        assert any("zero-output sector" in note for note in model.validation.notes)
    np.testing.assert_allclose(vby.sum(axis=0), final_expenditure, rtol=rtol)
    # world GDP = world final demand
    assert traced_va.sum() == pytest.approx(final_expenditure.sum() + lost.sum(), rel=rtol)
    # 4. T row sums = GDP, column sums = FD
    T = va_mod.va_trade_matrix(model)
    gdp_traced = (traced_va - lost).reshape(model.G, model.N).sum(axis=1)
    np.testing.assert_allclose(T.sum(axis=1), gdp_traced, rtol=rtol)
    np.testing.assert_allclose(T.sum(axis=0), final_expenditure, rtol=rtol)
    # §3: VAD + VAX = GDP; Σ VAX = Σ VAM
    np.testing.assert_allclose(np.diag(T) + va_mod.vax(model), gdp_traced, rtol=rtol)
    assert va_mod.vax(model).sum() == pytest.approx(va_mod.vam(model).sum(), rel=rtol)


def test_identities_on_small_table():
    assert_core_identities(build())


@pytest.mark.parametrize("year", range(1995, 2012))
def test_identities_on_every_wiod_year(wiod_loader, year):
    model = wiod_loader(year)
    assert (model.G, model.N, model.F) == (41, 35, 5)
    assert model.countries[-1] == "ROW" and "ROU" in model.countries
    assert model.source_countries[model.country_position("ROU")] == "ROM"
    assert model.validation.rebalanced
    assert_core_identities(model)


REFERENCE_CODES = {"RoW": "ROW", "ROM": "ROU"}


def test_value_added_matches_pymrio(wiod2011, reference_dir):
    """pymrio 0.7.0 on the same table: production-based VA by country-sector (D_pba) and
    the VA footprint of each region's final demand (D_cba by region) equal our va and the
    column sums of T."""
    import pandas as pd

    sector_ref = pd.read_csv(reference_dir / "pymrio_va_accounts_sector_wiod2011.csv")
    sector_ref["region"] = sector_ref["region"].replace(REFERENCE_CODES)
    ours = pd.DataFrame(
        {
            "region": np.repeat(wiod2011.countries, wiod2011.N),
            "sector": np.tile(wiod2011.sectors, wiod2011.G),
            "va": wiod2011.va,
        }
    )
    merged = ours.merge(sector_ref, on=["region", "sector"], how="inner", validate="1:1")
    assert len(merged) == wiod2011.GN
    scale = np.abs(merged["D_pba"]).max()
    assert np.abs(merged["va"] - merged["D_pba"]).max() <= 1e-8 * scale

    region_ref = pd.read_csv(reference_dir / "pymrio_va_D_cba_region_wiod2011.csv")
    region_ref["region"] = region_ref["region"].replace(REFERENCE_CODES)
    footprint = pd.Series(
        va_mod.va_trade_matrix(wiod2011).sum(axis=0), index=list(wiod2011.countries)
    )
    expected = region_ref.set_index("region")["VA"].reindex(footprint.index)
    assert expected.notna().all()
    assert np.abs(footprint - expected).max() <= 1e-8 * expected.abs().max()


def test_aggregate_keeps_rounding_artefacts_of_real_tables(wiod_loader):
    """WIOD 2011 keeps LUX rows with output −1 (rounding); aggregation must still work."""
    model = wiod_loader(2011)
    assert np.any(model.x < 0)
    grouped = model.aggregate(countries={"BENELUX": ["BEL", "NLD", "LUX"]})
    assert grouped.G == model.G - 2
    np.testing.assert_allclose(grouped.x.sum(), model.x.sum(), rtol=1e-12)
    np.testing.assert_allclose(va_mod.gdp(grouped).sum(), va_mod.gdp(model).sum(), rtol=1e-12)
    untouched = model.aggregate(sectors={"c1": ["c1"]})
    assert any("negative output kept" in note for note in untouched.validation.notes)


def test_va_origin_multipliers_solved_without_b_equal_the_definition():
    # without B the multipliers come from one LU solve; they must equal Σ_{i∈t} v_i B_ij
    # computed from an explicit inverse, and each column's origins sum to 1 (METHODS §2.1)
    model = build()
    solved = model.va_origin_multipliers
    assert "B" not in model.__dict__  # not formed for this
    B = np.linalg.inv(np.eye(model.GN) - model.Z / model.x[None, :])
    by_definition = (model.v[:, None] * B).reshape(model.G, model.N, model.GN).sum(axis=1)
    np.testing.assert_allclose(solved, by_definition, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(solved.sum(axis=0), 1.0, rtol=1e-12)
    # with B already computed, the same numbers from B
    again = build()
    _ = again.B
    np.testing.assert_allclose(again.va_origin_multipliers, solved, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(va_mod.va_multipliers_by_origin(model), by_definition, rtol=1e-12)
